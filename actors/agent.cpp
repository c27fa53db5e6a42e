#include "actors/agent.hpp"
#include "actors/internal/exceptions.hpp"

#include <cstdio>
#include <deque>
#include <map>
#include <unordered_map>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/messages.hpp"
#include "actors/wire_checks.hpp"
#include "model/evaluator.hpp"
#include "model/log_context.hpp"
#include "model/trace_context.hpp"
#include "providers/local_provider.hpp"

namespace hishamos::actors {

namespace {

using model::task_reply;
using model::task_request;

struct in_flight_task {
  caf::typed_response_promise<task_reply> rp;
  std::string template_id;  ///< Its output spec scores the result.
  std::string conversation; ///< "" = none.
};

/// A task that waits for its conversation's running task (overlap
/// policy enqueue).
struct queued_task {
  task_request task;
  caf::typed_response_promise<task_reply> rp;
};

struct agent_state {
  static inline const char* name = "hishamos.agent";
  agent_settings cfg;
  std::unordered_map<std::string, in_flight_task> in_flight;
  /// Conversation -> the task of it that runs now.
  std::map<std::string, std::string> active;
  std::map<std::string, std::deque<queued_task>> queued;
};

// Every result is scored by its template's rule evaluator, whoever
// produced it (the local provider, a function or an actor), unless the
// producer scored it already.
void score(const agent_settings& cfg, const std::string& template_id,
           task_reply& r) {
  if (!r.ok || r.quality >= 0 || !cfg.catalog)
    return;
  if (const auto* tpl = cfg.catalog->find_template(template_id))
    r.quality = model::evaluate(tpl->output, r.output).score;
}

using agent_self = caf::stateful_actor<agent_state>;

// Renders the prompt from the template and the already-resolved params.
model::result<std::string> render(const agent_settings& cfg,
                                  const task_request& t) {
  const auto* tpl =
      cfg.catalog ? cfg.catalog->find_template(t.template_id) : nullptr;
  if (!tpl)
    return model::problem{"", 0, t.step_id,
                          "agent " + cfg.def.id + " does not know template '" +
                              t.template_id + "'",
                          "add the template to the catalog"};
  auto params = nlohmann::json::parse(t.params, nullptr, false);
  if (params.is_discarded())
    return model::problem{"", 0, t.step_id, "params are not valid JSON", ""};
  return tpl->render(params);
}

void run_local(agent_self* self, const task_request& t) {
  const auto* tpl = self->state.cfg.catalog->find_template(t.template_id);
  providers::completion_request req{t.prompt,
                                    t.execution_id + "/" + t.step_id + "/" +
                                        std::to_string(t.attempt),
                                    &self->state.cfg.def, &tpl->output};
  auto answer = providers::local_provider{}.complete(req);
  task_reply r;
  r.task_id = t.task_id;
  r.ok = answer.ok;
  r.output = std::move(answer.text);
  r.retryable = answer.retryable;
  r.tokens_in = answer.tokens_in;
  r.tokens_out = answer.tokens_out;
  // A simulated model charges what the agent says one call costs.
  r.cost = answer.ok ? self->state.cfg.def.price_per_call : 0;
  r.provider = "local";
  r.model = self->state.cfg.def.model;
  // Simulated latency is a timer: no thread waits for it. None is no
  // timer: the timer thread would be one more thread woken per task.
  if (answer.latency_ms <= 0)
    return self->send(self, complete_atom::value, std::move(r));
  self->delayed_send(self, std::chrono::milliseconds{answer.latency_ms},
                     complete_atom::value, std::move(r));
}

void run_function(agent_self* self, const task_request& t) {
  auto parent = caf::actor_cast<caf::actor>(self);
  auto fn = self->state.cfg.function;
  // A function may block: it gets a thread of its own for this call.
  self->spawn<caf::detached>([parent, fn, t](caf::blocking_actor* worker) {
    task_reply r;
    try {
      r = fn(t);
    } catch (const std::exception& e) {
      r = task_reply::failure(t.task_id,
                              std::string{"agent threw: "} + e.what(), true);
    }
    r.task_id = t.task_id;
    worker->send(parent, complete_atom::value, std::move(r));
  });
}

void run_delegate(agent_self* self, const task_request& t) {
  auto id = t.task_id;
  self->request(self->state.cfg.delegate, caf::infinite, t)
      .then(
          [self](task_reply& r) {
            self->send(self, complete_atom::value, std::move(r));
          },
          [self, id](caf::error& e) {
            self->send(self, complete_atom::value,
                       task_reply::failure(id,
                                           "agent actor failed: " +
                                               self->system().render(e),
                                           true));
          });
}

// A model behind an HTTP provider, through the gateway: the agent waits
// for a message, no thread waits for the network.
void run_provider(agent_self* self, const task_request& t) {
  const auto& def = self->state.cfg.def;
  auto id = t.task_id;
  if (!self->state.cfg.gateway)
    return self->send(self, complete_atom::value,
                      task_reply::failure(id,
                                          "agent " + def.id +
                                              " uses provider '" +
                                              def.provider +
                                              "' but this node has no provider "
                                              "gateway",
                                          false));
  provider_call c{def.provider,
                  def.fallback_providers,
                  t.model.empty() ? def.model : t.model,
                  t.prompt,
                  def.temperature,
                  def.max_tokens};
  c.traceparent = t.traceparent;
  self->request(self->state.cfg.gateway, caf::infinite, std::move(c))
      .then(
          [self, id](provider_answer& a) {
            task_reply r;
            r.task_id = id;
            r.ok = a.ok;
            r.output = std::move(a.text);
            r.retryable = a.retryable;
            r.tokens_in = a.tokens_in;
            r.tokens_out = a.tokens_out;
            r.cost = a.cost;
            r.tokens_cached = a.cached_tokens;
            r.cost_avoided = a.cost_avoided;
            r.provider = std::move(a.provider);
            r.model = std::move(a.model);
            self->send(self, complete_atom::value, std::move(r));
          },
          [self, id](caf::error& e) {
            self->send(self, complete_atom::value,
                       task_reply::failure(id,
                                           "provider gateway failed: " +
                                               self->system().render(e),
                                           true));
          });
}

void run(agent_self* self, const task_request& t) {
  if (self->state.cfg.function)
    run_function(self, t);
  else if (self->state.cfg.delegate)
    run_delegate(self, t);
  else if (self->state.cfg.def.provider != "local")
    run_provider(self, t);
  else
    run_local(self, t);
}

// Commits the effect to the ledger, then performs it: an effect that ran
// is always in the ledger. If the ledger cannot be written, the task fails
// (retryable) without running.
void record_then_run(agent_self* self, task_request t) {
  const auto& cfg = self->state.cfg;
  // The owner's id: the invariant is about which node owned the execution
  // when the step ran, wherever its agent lives.
  persistence::effect e{t.execution_id,
                        t.step_id,
                        t.attempt,
                        t.owner_node.empty() ? cfg.node_id : t.owner_node,
                        cfg.def.id,
                        t.epoch,
                        persistence::now_ms()};
  auto fail = [self, id = t.task_id](const std::string& why) {
    self->send(self, complete_atom::value,
               task_reply::failure(id, "effect ledger: " + why, true));
  };
  self->request(cfg.ledger, std::chrono::seconds{10}, std::move(e))
      .then(
          [self, t, fail](store_ack& ack) {
            if (!self->state.in_flight.count(t.task_id))
              return; // cancelled meanwhile
            if (ack.code != persistence::errc::ok)
              return fail(ack.message);
            run(self, t);
          },
          [self, fail](caf::error& err) { fail(self->system().render(err)); });
}

// Renders and runs a task that may start now.
void start(agent_self* self, task_request t,
           caf::typed_response_promise<task_reply> rp) {
  auto& st = self->state;
  auto prompt = render(st.cfg, t);
  if (!prompt) {
    rp.deliver(task_reply::failure(t.task_id, model::to_string(prompt.errors()),
                                   false));
    return;
  }
  t.prompt = std::move(*prompt);
  t.agent_id = st.cfg.def.id;
  st.in_flight.emplace(t.task_id,
                       in_flight_task{rp, t.template_id, t.conversation});
  if (!t.conversation.empty())
    st.active[t.conversation] = t.task_id;
  if (st.cfg.ledger)
    record_then_run(self, std::move(t));
  else
    run(self, t);
}

// A task of a conversation this agent already works on: its overlap
// policy decides. Interrupt and rollback answer the running task now (a
// late model answer is dropped): interrupt as retryable, so its step runs
// again later; rollback as final, discarding its work.
void admit(agent_self* self, task_request t,
           caf::typed_response_promise<task_reply> rp) {
  auto& st = self->state;
  auto running = st.active.find(t.conversation);
  if (t.conversation.empty() || running == st.active.end())
    return start(self, std::move(t), rp);
  const auto& policy = st.cfg.def.overlap;
  auto about = "agent " + st.cfg.def.id + " is working on conversation '" +
               t.conversation + "' (task " + running->second + ")";
  if (policy == "reject") {
    auto refused = task_reply::failure(
        t.task_id, about + "; its overlap policy is reject", false);
    refused.judged = false;
    rp.deliver(std::move(refused));
    return;
  }
  if (policy == "enqueue") {
    st.queued[t.conversation].push_back({std::move(t), rp});
    return;
  }
  auto it = st.in_flight.find(running->second);
  if (it != st.in_flight.end()) {
    bool keep = policy == "interrupt";
    auto stopped = task_reply::failure(
        it->first,
        std::string{keep ? "interrupted" : "rolled back"} + " by task " +
            t.task_id + " of conversation '" + t.conversation + "'" +
            (keep ? "" : "; its work was discarded"),
        keep);
    stopped.judged = false;
    it->second.rp.deliver(std::move(stopped));
    st.in_flight.erase(it);
  }
  st.active.erase(running);
  start(self, std::move(t), rp);
}

// A task is over: its conversation's next queued task may start.
void end(agent_self* self,
         std::unordered_map<std::string, in_flight_task>::iterator it) {
  auto& st = self->state;
  auto conversation = it->second.conversation;
  auto id = it->first;
  st.in_flight.erase(it);
  auto active = st.active.find(conversation);
  if (conversation.empty() || active == st.active.end() || active->second != id)
    return;
  st.active.erase(active);
  auto q = st.queued.find(conversation);
  if (q == st.queued.end())
    return;
  auto next = std::move(q->second.front());
  q->second.pop_front();
  if (q->second.empty())
    st.queued.erase(q);
  start(self, std::move(next.task), std::move(next.rp));
}

// The answer to a cancelled task: it says nothing of the agent's quality.
task_reply cancelled(const std::string& task_id) {
  auto r = task_reply::failure(task_id, "cancelled", false);
  r.judged = false;
  return r;
}

// A cancelled task that still waited for its conversation.
bool drop_queued(agent_self* self, const std::string& task_id) {
  for (auto& [conversation, q] : self->state.queued)
    for (auto it = q.begin(); it != q.end(); ++it)
      if (it->task.task_id == task_id) {
        it->rp.deliver(cancelled(task_id));
        q.erase(it);
        return true;
      }
  return false;
}

caf::result<task_reply> take(agent_self* self, task_request t) {
  auto& st = self->state;
  // Tasks may come from other nodes: check them before acting on them.
  if (auto why = check_task(t); !why.empty()) {
    model::log_scope about{
        {t.execution_id.substr(0, 64), t.step_id.substr(0, 64), "", ""}};
    spdlog::warn("agent {} refused {}", st.cfg.def.id, why);
    return task_reply::failure(t.task_id, "malformed task: " + why, false);
  }
  // Other nodes' dispatchers send here too: a full agent says so rather
  // than failing the step.
  if (static_cast<int>(st.in_flight.size()) >= st.cfg.def.capacity) {
    auto busy = task_reply::failure(
        t.task_id, "agent " + st.cfg.def.id + " is at capacity", true);
    busy.busy = true;
    return busy;
  }
  auto rp = self->make_response_promise<task_reply>();
  admit(self, std::move(t), rp);
  return rp;
}

caf::behavior agent_actor(agent_self* self, agent_settings cfg) {
  log_exceptions(self, "agent");
  ignore_stray_errors(self, "agent");
  self->state.cfg = std::move(cfg);
  self->set_default_handler(
      [self](caf::scheduled_actor*,
             caf::message_view& x) -> caf::result<caf::message> {
        spdlog::warn("agent {} dropped a message it does not understand: {}",
                     self->state.cfg.def.id,
                     caf::to_string(x.copy_content_to_message()));
        return caf::sec::unexpected_message;
      });
  return {
      [self](task_request& t) { return take(self, std::move(t)); },
      // From another node's dispatcher, with the step's trace context.
      [self](trace_atom, task_request& t, std::string& traceparent) {
        t.traceparent = model::parse_traceparent(traceparent)
                            ? std::move(traceparent)
                            : std::string{};
        return take(self, std::move(t));
      },
      [self](complete_atom, task_reply& r) {
        auto it = self->state.in_flight.find(r.task_id);
        if (it == self->state.in_flight.end())
          return; // cancelled or stopped meanwhile
        r.agent_id = self->state.cfg.def.id;
        if (const auto* tpl = self->state.cfg.catalog
                                  ? self->state.cfg.catalog->find_template(
                                        it->second.template_id)
                                  : nullptr)
          r.template_version = tpl->version; // the one it rendered
        score(self->state.cfg, it->second.template_id, r);
        it->second.rp.deliver(std::move(r));
        end(self, it);
      },
      [self](cancel_atom, const std::string& task_id) {
        if (drop_queued(self, task_id))
          return;
        auto it = self->state.in_flight.find(task_id);
        if (it == self->state.in_flight.end())
          return;
        it->second.rp.deliver(cancelled(task_id));
        end(self, it);
      },
  };
}

} // namespace

caf::actor spawn_agent(caf::actor_system& sys, agent_settings settings) {
  return sys.spawn(agent_actor, std::move(settings));
}

} // namespace hishamos::actors
