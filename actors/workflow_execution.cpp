#include "actors/workflow_execution.hpp"

#include <map>

#include <spdlog/spdlog.h>

#include "actors/internal/execution_state.hpp"
#include "model/references.hpp"

namespace hishamos::actors {

namespace execution_internal {

using model::task_reply;
using persistence::errc;
using std::chrono::milliseconds;

// Another node owns this execution now: stop without writing anything.
void abandon(execution_self* self, const std::string& why) {
  model::log_scope about{log_ids_of(self)};
  spdlog::warn("execution {} abandoned: {}", exec_id(self), why);
  self->state.cfg.metrics->execution_entered("abandoned");
  self->quit();
}

void send_final(execution_self* self) {
  self->request(self->state.cfg.persistence, caf::infinite,
                self->state.final_change)
      .then(
          [self](store_ack& ack) {
            if (ack.code == errc::ok)
              notify_and_quit(self);
            else if (ack.code == errc::stale_epoch ||
                     ack.code == errc::not_found)
              abandon(self, ack.message);
            else
              self->delayed_send(self, self->state.cfg.resend_delay,
                                 resend_atom::value, resend_final);
          },
          [self](caf::error&) {
            self->delayed_send(self, self->state.cfg.resend_delay,
                               resend_atom::value, resend_final);
          });
}

void finish(execution_self* self, persistence::execution_state state,
            std::string output, std::string error) {
  auto& st = self->state;
  st.finishing = true;
  st.final_change = {exec_id(self), st.cfg.record.epoch, state,
                     std::move(output), std::move(error)};
  for (size_t i = 0; i < st.steps.size(); ++i) {
    const auto& r = st.steps[i];
    if (r.ph != phase::running)
      continue;
    self->send(st.cfg.dispatcher, cancel_atom::value, r.task_id);
    // The attempt whose failure ends the execution is noted already.
    bool noted = std::any_of(
        st.unsaved_attempts.begin(), st.unsaved_attempts.end(),
        [&](const persistence::attempt_record& a) {
          return a.step_id == def_of(self, static_cast<int>(i)).id &&
                 a.attempt == r.attempt;
        });
    if (!noted)
      note_attempt(self, static_cast<int>(i), "given_up",
                   "the execution ended " + std::string{to_string(state)} +
                       " while it ran");
  }
  st.final_change.audit = std::move(st.unsaved_audit);
  st.unsaved_audit.clear();
  st.final_change.attempts = std::move(st.unsaved_attempts);
  st.unsaved_attempts.clear();
  send_final(self);
}

std::string leaf_outputs(execution_self* self) {
  auto out = nlohmann::json::object();
  for (int i : self->state.graph.leaves())
    out[def_of(self, i).id] = self->state.steps[i].output;
  return out.dump();
}

// While draining, the execution stops once no step is running or waiting
// for its checkpoint: it stays `running` in the store, and the node that
// claims it next resumes it from its checkpoints.
void stop_if_idle(execution_self* self) {
  auto& st = self->state;
  if (!st.draining || st.finishing)
    return;
  for (const auto& r : st.steps)
    if (r.ph == phase::running || r.ph == phase::checkpointing)
      return;
  self->state.cfg.metrics->execution_entered("handed_over");
  self->quit();
}

std::vector<int> ready_steps(execution_self* self) {
  std::vector<bool> done, started;
  for (const auto& r : self->state.steps) {
    done.push_back(r.ph == phase::done);
    started.push_back(r.ph != phase::waiting);
  }
  return self->state.graph.ready_set(done, started);
}

void advance(execution_self* self) {
  auto& st = self->state;
  if (st.finishing)
    return;
  if (st.draining)
    return stop_if_idle(self);
  if (std::all_of(st.steps.begin(), st.steps.end(),
                  [](const step_run& r) { return r.ph == phase::done; })) {
    finish(self, persistence::execution_state::completed, leaf_outputs(self),
           "");
    return;
  }
  start_ready(self);
}

void on_reply(execution_self* self, int i, int attempt, task_reply reply) {
  auto& r = self->state.steps[i];
  if (self->state.finishing || r.ph != phase::running || r.attempt != attempt)
    return; // an answer to an attempt that was given up
  r.agent_id = reply.agent_id.empty() ? r.agent_id : reply.agent_id;
  close_step_span(self, i, reply);
  r.decision = std::move(reply.decision);
  r.template_version = reply.template_version;
  if (reply.ok)
    check_output_size(self, i, reply);
  if (reply.ok) {
    r.quality = reply.quality;
    r.output = std::move(reply.output);
    r.tokens_in = reply.tokens_in;
    r.cost = reply.cost;
    r.tokens_out = reply.tokens_out;
    r.tokens_cached = reply.tokens_cached;
    r.cost_avoided = reply.cost_avoided;
    r.provider = std::move(reply.provider);
    r.model = std::move(reply.model);
    r.finished_at_ms = persistence::now_ms();
    r.ph = phase::checkpointing;
    emit(self, i, "result");
    send_checkpoint(self, i);
    return;
  }
  r.error = reply.output;
  note_attempt(self, i, "failed", r.error);
  const auto& def = def_of(self, i);
  model::log_scope about{log_ids_of(self, i)};
  if (reply.retryable && r.attempt < def.retry.max_attempts) {
    spdlog::info("execution {} step {}: attempt {} failed, retrying: {}",
                 exec_id(self), def.id, r.attempt, r.error.substr(0, 200));
    r.ph = phase::backoff;
    emit(self, i, "retrying", r.error);
    self->state.cfg.metrics->step_retried();
    if (self->state.draining)
      return stop_if_idle(self);
    self->delayed_send(self,
                       milliseconds{def.retry.delay_before(r.attempt + 1)},
                       retry_atom::value, i);
    return;
  }
  r.ph = phase::failed; // a snapshot taken before the actor stops says so
  emit(self, i, "failed", r.error);
  finish(self, persistence::execution_state::failed, "",
         "step '" + def.id + "' failed after " + std::to_string(r.attempt) +
             " attempt(s): " + r.error);
}

assign_step make_assignment(execution_self* self, int i) {
  const auto& def = def_of(self, i);
  const auto& r = self->state.steps[i];
  std::map<std::string, std::string> outputs;
  for (size_t j = 0; j < self->state.steps.size(); ++j)
    if (self->state.steps[j].ph == phase::done)
      outputs[def_of(self, static_cast<int>(j)).id] =
          self->state.steps[j].output;
  assign_step a;
  a.task = {
      r.task_id,
      exec_id(self),
      def.id,
      r.attempt,
      "",
      def.command_template_id,
      model::resolve_references(def.params, self->state.input, outputs).dump(),
      ""};
  a.task.epoch = self->state.cfg.record.epoch;
  if (!def.conversation.empty()) {
    auto c = model::resolve_references(nlohmann::json(def.conversation),
                                       self->state.input, outputs);
    a.task.conversation = c.is_string() ? c.get<std::string>() : c.dump();
  }
  a.task.owner_node = self->state.cfg.record.owner_node;
  a.task.model = self->state.model_override;
  a.task.traceparent = open_step_span(self, i);
  a.agent_id = def.agent_id;
  const auto& wf = *self->state.cfg.workflow;
  a.workflow = wf.name;
  a.workflow_limit = wf.max_concurrency;
  a.priority = wf.priority_of(static_cast<size_t>(i));
  a.locks = def.locks;
  a.lock_timeout_ms = def.lock_timeout_ms;
  a.consensus = def.consensus;
  a.evaluator = def.evaluator;
  if (def.agent) {
    a.department = def.agent->department;
    a.capabilities = def.agent->capabilities;
  }
  return a;
}

void start_step(execution_self* self, int i) {
  auto& r = self->state.steps[i];
  const auto& def = def_of(self, i);
  r.ph = phase::running;
  ++r.attempt;
  // A selector's agent is known only when it answers.
  r.agent_id = def.agent_id;
  r.started = std::chrono::steady_clock::now();
  r.started_at_ms = persistence::now_ms();
  r.task_id = exec_id(self) + "/" + def.id + "/" + std::to_string(r.attempt) +
              "@" + std::to_string(self->state.cfg.record.epoch);
  emit(self, i, "started");
  auto timeout = def.timeout_ms > 0
                     ? caf::duration{milliseconds{def.timeout_ms}}
                     : caf::duration{caf::infinite};
  int attempt = r.attempt;
  self->request(self->state.cfg.dispatcher, timeout, make_assignment(self, i))
      .then(
          [self, i, attempt](task_reply& reply) {
            on_reply(self, i, attempt, std::move(reply));
          },
          [self, i, attempt](caf::error& e) {
            const auto& r = self->state.steps[i];
            std::string why = self->system().render(e);
            if (e == caf::sec::request_timeout) {
              why = "timed out after " +
                    std::to_string(def_of(self, i).timeout_ms) + " ms";
              self->send(self->state.cfg.dispatcher, cancel_atom::value,
                         r.task_id);
            }
            on_reply(self, i, attempt,
                     task_reply::failure(r.task_id, why, true));
          });
}

model::execution_snapshot snapshot(execution_self* self) {
  const auto& st = self->state;
  model::execution_snapshot out;
  for (size_t i = 0; i < st.steps.size(); ++i) {
    const auto& r = st.steps[i];
    out.steps.push_back({def_of(self, static_cast<int>(i)).id,
                         phase_names[static_cast<int>(r.ph)], r.attempt,
                         r.agent_id, r.error, r.decision, r.template_version,
                         r.started_at_ms});
  }
  out.state = st.finishing ? persistence::to_string(st.final_change.state)
              : st.paused  ? "paused"
                           : "running";
  out.spent_usd = spent(self);
  if (st.paused)
    out.budget = st.pause_reason;
  out.downgraded_to = st.model_override;
  return out;
}

execution_actor::behavior_type execution(execution_self* self,
                                         execution_settings cfg) {
  self->set_exception_handler(
      [self](std::exception_ptr& eptr) { return on_exception(self, eptr); });
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.input = nlohmann::json::parse(st.cfg.record.input, nullptr, false);
  start_trace(self);
  st.steps.resize(st.cfg.workflow->steps.size());
  if (auto g = model::dag::build(*st.cfg.workflow))
    st.graph = std::move(*g);
  for (const auto& cp : st.cfg.done) {
    int i = st.cfg.workflow->index_of(cp.step_id);
    if (i < 0)
      continue;
    auto& r = st.steps[i];
    r = {phase::done,      cp.attempt,        "", cp.agent_id, cp.output, "",
         cp.started_at_ms, cp.finished_at_ms, {}};
    r.cost = cp.cost;
  }
  st.approved_until = st.cfg.record.budget_approved_until;
  st.stored_paused =
      st.cfg.record.state == persistence::execution_state::paused;
  st.cfg.metrics->execution_entered("running");
  return {
      [self](start_atom) { advance(self); },
      [self](retry_atom, int i) {
        if (self->state.draining)
          return stop_if_idle(self);
        if (!self->state.finishing && self->state.steps[i].ph == phase::backoff)
          start_step(self, i);
      },
      [self](drain_atom) {
        self->state.draining = true;
        stop_if_idle(self);
      },
      [self](resend_atom, int i) {
        if (i == resend_state) {
          if (!self->state.finishing)
            send_state(self);
        } else if (i == resend_final)
          send_final(self);
        else if (self->state.steps[i].ph == phase::checkpointing)
          send_checkpoint(self, i);
      },
      [self](cancel_atom) {
        if (!self->state.finishing)
          finish(self, persistence::execution_state::cancelled, "",
                 "cancelled by request");
      },
      [self](snapshot_atom) { return snapshot(self); },
      [self](approve_atom, double extra_usd) {
        auto rp = self->make_response_promise<double>();
        approve(self, extra_usd, rp);
        return rp;
      },
  };
}

} // namespace execution_internal

execution_actor spawn_execution(caf::actor_system& sys,
                                execution_settings settings) {
  auto a = sys.spawn(execution_internal::execution, std::move(settings));
  caf::anon_send(a, start_atom::value);
  return a;
}

} // namespace hishamos::actors
