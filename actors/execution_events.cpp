// Who hears about an execution: its observer (embedders), its watcher
// (the node's event hub, for SSE) and its listener actor.

#include "actors/internal/execution_state.hpp"

#include <spdlog/spdlog.h>

namespace hishamos::actors::execution_internal {

// Step events go to the observer, and to the watcher with one more kind:
// "result", when an agent's answer arrived and its checkpoint is on its way.
void emit(execution_self* self, int i, const char* kind,
          const std::string& detail) {
  const auto& obs = self->state.cfg.observer;
  const auto& watcher = self->state.cfg.watcher;
  bool to_observer = obs && obs->on_step && std::string_view{kind} != "result";
  bool to_watcher = watcher && watcher->on_step;
  if (!to_observer && !to_watcher)
    return;
  const auto& r = self->state.steps[i];
  model::step_event e{
      exec_id(self), def_of(self, i).id,   kind, r.attempt, r.agent_id,
      detail,        persistence::now_ms()};
  if (to_observer)
    obs->on_step(e);
  if (to_watcher)
    watcher->on_step(e);
}

void notify_finished(execution_self* self) {
  const auto& change = self->state.final_change;
  model::execution_finished msg{exec_id(self), self->state.cfg.workflow->name,
                                persistence::to_string(change.state),
                                change.output, change.error};
  self->state.cfg.metrics->execution_entered(msg.state);
  close_execution_span(self);
  if (change.state == persistence::execution_state::failed) {
    model::log_scope about{log_ids_of(self)};
    spdlog::warn("execution {} of workflow '{}' failed: {}", msg.execution_id,
                 msg.workflow, msg.error.substr(0, 300));
  }
  if (const auto& obs = self->state.cfg.observer; obs && obs->on_finish)
    obs->on_finish(msg);
  if (const auto& w = self->state.cfg.watcher; w && w->on_finish)
    w->on_finish(msg);
  if (self->state.cfg.listener)
    tell(self, self->state.cfg.listener, msg);
}

void notify_and_quit(execution_self* self) {
  notify_finished(self);
  self->quit();
}

} // namespace hishamos::actors::execution_internal
