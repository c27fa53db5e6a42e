#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/lock_table.hpp"
#include "model/param_spec.hpp"
#include "model/result.hpp"

namespace hishamos::model {

/// Picks an agent by department and capabilities instead of by id.
struct agent_selector {
  std::string department;                ///< "" matches any department.
  std::vector<std::string> capabilities; ///< All must be present.
};

/// How often and how patiently a failed step is tried again.
struct retry_policy {
  int max_attempts = 1;                ///< Total tries, including the first.
  std::int64_t backoff_ms = 500;       ///< Delay before the second try.
  std::int64_t max_backoff_ms = 30000; ///< Cap of the doubling delay.

  /// Delay before try `next_attempt` (2, 3, ...): backoff doubling per try.
  [[nodiscard]] std::int64_t delay_before(int next_attempt) const;
};

/// Result conflicts: run the step on several distinct agents and pick one
/// result (the others are kept with the decision, for inspection).
struct consensus_policy {
  int agents = 0;                    ///< Distinct agents; 0 = no consensus.
  std::string strategy = "majority"; ///< majority | best_quality | judge
  std::string judge_agent;    ///< judge: who picks (answers with a number).
  std::string judge_template; ///< judge: its template; gets `candidates`.
};

/// A judge agent that scores a step's results (instead of its template's
/// rules): its template gets the result as `output` and it answers with a
/// score in [0, 1] (or a percentage).
struct judge_evaluator {
  std::string agent;       ///< "" = the template's rules score results.
  std::string template_id; ///< The judge's template.
};

/// One step of a workflow: which agent runs which template with which params.
struct step_def {
  std::string id;
  std::string name;
  std::string agent_id;                ///< Either this ...
  std::optional<agent_selector> agent; ///< ... or this.
  std::string command_template_id;
  nlohmann::json params = nlohmann::json::object(); ///< May hold {{refs}}.
  std::vector<std::string> depends_on;
  std::optional<std::int64_t> order; ///< Without depends_on: run in order.
  retry_policy retry;
  std::int64_t timeout_ms = 0; ///< 0 = no timeout.
  /// Higher runs first when agents are busy; unset = the workflow's.
  std::optional<int> priority;
  /// Resources the step holds while it runs, granted all at once.
  std::vector<lock_request> locks;
  /// How long the step may wait for its locks; then it fails naming the
  /// holder. 0 = as long as it takes.
  std::int64_t lock_timeout_ms = 0;
  consensus_policy consensus;
  judge_evaluator evaluator;
  /// The conversation or resource its task belongs to (may hold {{refs}});
  /// its agent's overlap policy applies to tasks of the same one.
  std::string conversation;
  int line = 0; ///< Where the step starts in its file.
};

/// A named DAG of steps, as read from a workflow file.
struct workflow_def {
  std::string name;
  std::string description;
  std::string department;
  std::string trigger_type = "manual"; ///< manual | scheduled | event
  std::string cron;                    ///< For scheduled triggers.
  int version = 1;
  int priority = 0;        ///< Default priority of its steps (higher first).
  int max_concurrency = 0; ///< Its steps running at once per node; 0 = any.
  param_specs inputs;
  std::vector<step_def> steps;
  std::string file; ///< Source name, for messages.

  /// The priority step `i` waits with.
  [[nodiscard]] int priority_of(size_t i) const {
    return steps[i].priority.value_or(priority);
  }
  /// Index of the step with `id`, or -1.
  [[nodiscard]] int index_of(const std::string& id) const;
};

/// Parses a workflow from YAML or JSON text. Only shape and types are
/// checked here; `validate()` checks references against a catalog.
result<workflow_def> parse_workflow(const std::string& text,
                                    const std::string& file);

/// The workflow as JSON (stored with each execution so a resumed execution
/// runs the definition it started with).
[[nodiscard]] nlohmann::json to_json(const workflow_def& wf);

/// Reads back what `to_json` wrote.
result<workflow_def> workflow_from_json(const nlohmann::json& j);

} // namespace hishamos::model
