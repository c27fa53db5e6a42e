// What an execution writes for a finished step: its checkpoint, carrying
// the step's line in the cost ledger and the audit events and attempts
// not committed yet, sent again until the store answers; the step counts
// as done only once it did (the write-ahead rule).

#include "actors/internal/execution_state.hpp"
#include "model/clip.hpp"

namespace hishamos::actors::execution_internal {

using persistence::errc;

namespace {

// The step's line in the cost ledger (task_results).
persistence::task_result_record result_record(execution_self* self, int i) {
  const auto& r = self->state.steps[i];
  const auto& wf = *self->state.cfg.workflow;
  persistence::task_result_record x;
  x.execution_id = exec_id(self);
  x.step_id = def_of(self, i).id;
  x.agent_id = r.agent_id;
  x.quality_score = r.quality;
  x.cost = r.cost;
  x.tokens_in = r.tokens_in;
  x.tokens_out = r.tokens_out;
  x.latency_ms = r.finished_at_ms - r.started_at_ms;
  x.created_at_ms = persistence::now_ms();
  x.decision = r.decision;
  x.template_version = r.template_version;
  x.tokens_cached = r.tokens_cached;
  x.cost_avoided = r.cost_avoided;
  x.provider = r.provider;
  x.model = r.model;
  x.workflow = wf.name;
  x.department = wf.department;
  return x;
}

} // namespace

void note_attempt(execution_self* self, int i, const char* outcome,
                  const std::string& error) {
  const auto& r = self->state.steps[i];
  const auto& rec = self->state.cfg.record;
  self->state.unsaved_attempts.push_back(
      {rec.id, def_of(self, i).id, rec.epoch, r.attempt, rec.owner_node,
       r.agent_id, r.started_at_ms, persistence::now_ms(), outcome,
       model::clip_utf8(error, persistence::max_attempt_error_bytes)});
}

// The checkpoint carries the step's ledger line, the audit events decided
// on the way to it and the attempts that ended without a result: one
// transaction stores all or none of them.
void send_checkpoint(execution_self* self, int i) {
  auto& r = self->state.steps[i];
  auto& unsaved = self->state.unsaved_audit;
  r.audit.insert(r.audit.end(), unsaved.begin(), unsaved.end());
  unsaved.clear();
  auto& attempts = self->state.unsaved_attempts;
  r.attempts.insert(r.attempts.end(), attempts.begin(), attempts.end());
  attempts.clear();
  persistence::checkpoint cp{exec_id(self),   def_of(self, i).id,
                             r.attempt,       self->state.cfg.record.epoch,
                             r.output,        r.agent_id,
                             r.started_at_ms, r.finished_at_ms,
                             r.cost,          {result_record(self, i)},
                             r.audit,         r.attempts};
  auto resend = [self, i] {
    self->state.cfg.metrics->checkpoint_resent();
    self->delayed_send(self, self->state.cfg.resend_delay, resend_atom::value,
                       i);
  };
  // No timeout of its own: the supervisor answers every request, one its
  // writer holds too long included (persistence_supervisor.hpp).
  self->request(self->state.cfg.persistence, caf::infinite, std::move(cp))
      .then(
          [self, i, resend](store_ack& ack) {
            if (ack.code == errc::stale_epoch || ack.code == errc::not_found)
              return abandon(self, ack.message);
            if (ack.code != errc::ok)
              return resend();
            auto& r = self->state.steps[i];
            r.ph = phase::done;
            r.audit.clear();
            r.attempts.clear();
            std::chrono::duration<double> took =
                std::chrono::steady_clock::now() - r.started;
            self->state.cfg.metrics->step_completed(
                took.count(), r.cost, self->state.cfg.workflow->department);
            if (const auto& keeper = self->state.cfg.budgets;
                keeper && r.cost > 0)
              tell(self, keeper, spent_atom::value,
                   self->state.cfg.workflow->name,
                   self->state.cfg.workflow->department, r.cost);
            emit(self, i, "completed");
            advance(self);
          },
          [resend](caf::error&) { resend(); });
}

} // namespace hishamos::actors::execution_internal
