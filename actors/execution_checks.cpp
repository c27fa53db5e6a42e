// What an execution refuses to carry on with: a step output over the
// size limit, and an exception thrown inside one of its handlers.

#include <spdlog/spdlog.h>

#include "actors/internal/exceptions.hpp"
#include "actors/internal/execution_state.hpp"

namespace hishamos::actors::execution_internal {

using model::task_reply;

// An output over the limit is never stored: the step fails as an answer
// that retrying cannot fix would.
void check_output_size(execution_self* self, int i, task_reply& reply) {
  const auto& cfg = self->state.cfg;
  auto size = static_cast<std::int64_t>(reply.output.size());
  if (size > cfg.warn_output_bytes) {
    model::log_scope about{log_ids_of(self, i)};
    spdlog::warn("execution {} step {}: an output of {} bytes (limits."
                 "warn_payload_bytes is {})",
                 exec_id(self), def_of(self, i).id, size,
                 cfg.warn_output_bytes);
  }
  if (size <= cfg.max_output_bytes)
    return;
  reply.ok = false;
  reply.retryable = false;
  reply.output = "output_too_large: step " + def_of(self, i).id + " answered " +
                 std::to_string(size) + " bytes, over the limit of " +
                 std::to_string(cfg.max_output_bytes) +
                 " (limits.max_payload_bytes); nothing of it was stored";
}

// A handler that throws (a bug, or state no check caught) must not leave
// the execution `running` forever: it is stored failed, with what was
// thrown (bounded), its listeners hear it, and the actor quits.
caf::error on_exception(execution_self* self, std::exception_ptr& eptr) {
  model::log_scope about{log_ids_of(self)};
  auto what = describe_exception(eptr);
  spdlog::error("execution {} failed on an internal error: {}", exec_id(self),
                what);
  auto& st = self->state;
  st.final_change = {exec_id(self), st.cfg.record.epoch,
                     persistence::execution_state::failed, "",
                     "internal error: " + what};
  // No reply can reach an actor that quits: the change is sent once; if
  // it is lost, the execution is still this node's and unfinished, and
  // its next resume meets the same end.
  caf::anon_send(st.cfg.persistence, st.final_change);
  notify_finished(self);
  return caf::sec::runtime_error;
}

} // namespace hishamos::actors::execution_internal
