// The budget side of a workflow execution: before it starts ready steps
// it asks the node's budget keeper (actors/budget_keeper.hpp); `warn` is
// logged and audited once, `downgrade` sends a cheaper model with each
// task, `pause` stores `paused` and starts nothing until a person
// approves more. Without a keeper, ready steps start at once.

#include <spdlog/spdlog.h>

#include "actors/internal/execution_state.hpp"

namespace hishamos::actors::execution_internal {

using persistence::errc;

double spent(execution_self* self) {
  double x = 0;
  for (const auto& r : self->state.steps)
    if (r.ph == phase::done)
      x += r.cost;
  return x;
}

namespace {

void audit(execution_self* self, const char* action, nlohmann::json details) {
  details["execution_id"] = exec_id(self);
  self->state.unsaved_audit.push_back(
      {"", action, details.dump(), persistence::now_ms()});
}

// Stores `paused` or `running`, as the execution is now, with what was
// approved. One change at a time: the answer to one checks whether the
// execution changed again meanwhile.
void write_state(execution_self* self) {
  auto& st = self->state;
  if (st.state_writing || st.finishing)
    return;
  st.state_writing = true;
  st.pending_state = {
      exec_id(self),
      st.cfg.record.epoch,
      st.paused ? persistence::execution_state::paused
                : persistence::execution_state::running,
      "",
      st.paused ? "paused: " + st.pause_reason +
                      "; approve more through POST /api/v1/executions/" +
                      exec_id(self) + "/approve"
                : "",
      st.approved_until};
  auto& audit = st.pending_state.audit;
  audit.insert(audit.end(), st.unsaved_audit.begin(), st.unsaved_audit.end());
  st.unsaved_audit.clear();
  auto& attempts = st.pending_state.attempts;
  attempts.insert(attempts.end(), st.unsaved_attempts.begin(),
                  st.unsaved_attempts.end());
  st.unsaved_attempts.clear();
  send_state(self);
}

void pause(execution_self* self, const model::budget_verdict& v) {
  model::log_scope about{log_ids_of(self)};
  auto& st = self->state;
  st.paused = true;
  st.pause_reason = v.reason;
  st.pause_limit = v.limit_usd;
  spdlog::warn("execution {} paused: {}", exec_id(self), v.reason);
  st.cfg.metrics->budget_action("pause");
  audit(self, "execution.budget_pause", {{"reason", v.reason}});
  write_state(self);
}

void act_on(execution_self* self, const model::budget_verdict& v) {
  auto& st = self->state;
  if (st.finishing || st.draining)
    return advance(self);
  if (v.action == model::budget_action::pause)
    return pause(self, v);
  if (v.action == model::budget_action::warn &&
      st.warned.insert(v.budget).second) {
    model::log_scope about{log_ids_of(self)};
    spdlog::warn("execution {}: {}", exec_id(self), v.reason);
    st.cfg.metrics->budget_action("warn");
    audit(self, "execution.budget_warn", {{"reason", v.reason}});
  }
  auto model = v.action == model::budget_action::downgrade ? v.model : "";
  if (model != st.model_override && !model.empty()) {
    model::log_scope about{log_ids_of(self)};
    spdlog::warn("execution {} runs on with model {}: {}", exec_id(self), model,
                 v.reason);
    st.cfg.metrics->budget_action("downgrade");
    audit(self, "execution.budget_downgrade",
          {{"reason", v.reason}, {"model", model}});
  } else if (model != st.model_override) {
    model::log_scope about{log_ids_of(self)};
    spdlog::info("execution {}: no budget downgrades it any more (a new "
                 "period began); its agents' own models run again",
                 exec_id(self));
  }
  st.model_override = model;
  if (st.stored_paused)
    write_state(self); // resumed paused, and no budget holds it now
  for (int i : ready_steps(self))
    start_step(self, i);
}

} // namespace

void send_state(execution_self* self) {
  auto& st = self->state;
  auto resend = [self] {
    self->delayed_send(self, self->state.cfg.resend_delay, resend_atom::value,
                       resend_state);
  };
  self->request(st.cfg.persistence, caf::infinite, st.pending_state)
      .then(
          [self, resend](store_ack& ack) {
            auto& st = self->state;
            if (ack.code == errc::stale_epoch || ack.code == errc::not_found)
              return abandon(self, ack.message);
            if (ack.code != errc::ok)
              return resend();
            st.state_writing = false;
            st.stored_paused =
                st.pending_state.state == persistence::execution_state::paused;
            if (st.approval && !st.stored_paused && !st.paused) {
              st.approval->deliver(st.approved_until);
              st.approval.reset();
            }
            if (st.stored_paused != st.paused)
              write_state(self);
          },
          [resend](caf::error&) { resend(); });
}

// Starts the steps whose parents are done, once the budget keeper (if the
// node has one) has said whether the execution may spend more.
void start_ready(execution_self* self) {
  auto& st = self->state;
  if (!st.cfg.budgets)
    return act_on(self, {});
  if (st.paused || st.judging)
    return; // the answer pending starts whatever is ready then
  st.judging = true;
  const auto& wf = *st.cfg.workflow;
  model::budget_question q{wf.name, wf.department, spent(self),
                           st.approved_until};
  self->request(st.cfg.budgets, std::chrono::seconds{10}, std::move(q))
      .then(
          [self](model::budget_verdict& v) {
            self->state.judging = false;
            act_on(self, v);
          },
          [self](caf::error& e) {
            // The keeper lives on this node; if it cannot answer, work
            // goes on rather than stalling every execution.
            model::log_scope about{log_ids_of(self)};
            spdlog::warn("execution {}: the budget keeper did not answer ({}); "
                         "running on",
                         exec_id(self), self->system().render(e));
            self->state.judging = false;
            act_on(self, {});
          });
}

// A person approved more: the execution may spend `extra_usd` more (0 =
// the limit of the budget that paused it) before a budget pauses it again.
void approve(execution_self* self, double extra_usd,
             caf::typed_response_promise<double> rp) {
  auto& st = self->state;
  if (!st.paused || st.finishing) {
    rp.deliver(not_paused_error());
    return;
  }
  auto extra = extra_usd > 0 ? extra_usd : st.pause_limit;
  st.approved_until = spent(self) + std::max(extra, 1e-6);
  st.paused = false;
  st.cfg.metrics->budget_action("approve"); // audited by who asked
  st.approval = rp;
  write_state(self);
  start_ready(self);
}

} // namespace hishamos::actors::execution_internal
