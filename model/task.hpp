#pragma once

#include <cstdint>
#include <string>

namespace hishamos::model {

/// One attempt of one step, as sent to an agent. Agents written by
/// embedders (as actors) receive this message and answer with a task_reply.
struct task_request {
  std::string task_id; ///< Unique per attempt.
  std::string execution_id;
  std::string step_id;
  int attempt = 1;
  std::string agent_id;    ///< The agent chosen by the dispatcher.
  std::string template_id; ///< Command template to render.
  std::string params;      ///< JSON object, references already resolved.
  std::string prompt;      ///< Rendered by the agent before its model call.
  std::int64_t epoch = 0;  ///< Owner epoch of the execution when sent.
  std::string owner_node;  ///< The node that owns the execution.
  /// The conversation or resource the task belongs to ("" = none): an
  /// agent already working on it applies its overlap policy.
  std::string conversation;
  /// A model to use instead of the agent's own ("" = its own): a budget
  /// with the `downgrade` action names a cheaper one.
  std::string model;
  /// The W3C traceparent of the step attempt's span ("" = none): an agent
  /// that calls out passes it on (the provider gateway does). Not part of
  /// the message's wire shape (inspect): to an agent on another node it
  /// travels beside the task, as (trace_atom, task, traceparent), and only
  /// to nodes that announced the `trace` feature.
  std::string traceparent;
};

/// What an agent answers for a task.
struct task_reply {
  std::string task_id;
  bool ok = false;
  std::string output;    ///< The result, or the error text when !ok.
  bool retryable = true; ///< For failures: may another attempt succeed?
  std::string agent_id;
  int tokens_in = 0;
  int tokens_out = 0;
  double cost = 0; ///< What the model call cost (the provider's price table).
  int tokens_cached = 0;   ///< Of tokens_in, served from a provider cache.
  double cost_avoided = 0; ///< A cache hit: what the call would have cost.
  std::string provider;    ///< Which provider answered ("" = none).
  std::string model;       ///< Which model answered ("" = unknown).
  /// The version of the command template the agent rendered; 0 = unknown.
  int template_version = 0;
  /// The agent was at capacity and did not start the task: the dispatcher
  /// tries again (another agent, or later), the attempt is not used up.
  bool busy = false;
  /// The evaluator's score of the output in [0, 1]; -1 = not evaluated.
  double quality = -1;
  /// False when the outcome says nothing of the agent's quality (the task
  /// was cancelled or stopped by its overlap policy): routing ignores it.
  bool judged = true;
  /// Why this agent ran it: the dispatcher's decision as JSON (set by the
  /// dispatcher, "" from agents).
  std::string decision;

  static task_reply failure(std::string task_id, std::string why,
                            bool retryable) {
    task_reply r;
    r.task_id = std::move(task_id);
    r.output = std::move(why);
    r.retryable = retryable;
    return r;
  }
};

/// Adds what `other` spent (tokens, cost, cost avoided) to `into`: a step
/// that made several calls (consensus candidates, a judge, a judging
/// evaluator) costs all of them.
inline void add_spend(task_reply& into, const task_reply& other) {
  into.tokens_in += other.tokens_in;
  into.tokens_out += other.tokens_out;
  into.tokens_cached += other.tokens_cached;
  into.cost += other.cost;
  into.cost_avoided += other.cost_avoided;
}

/// Makes what `into` spent exactly `total`'s.
inline void set_spend(task_reply& into, const task_reply& total) {
  into.tokens_in = into.tokens_out = into.tokens_cached = 0;
  into.cost = into.cost_avoided = 0;
  add_spend(into, total);
}

} // namespace hishamos::model
