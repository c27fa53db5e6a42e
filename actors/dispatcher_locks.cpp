// The dispatcher's side of resource locks: a step that declares locks asks
// the lock authority (actors/lock_authority.hpp) for them once an agent
// matches it, runs only once they are granted, and frees them when it
// ends, fails, is cancelled or loses its agent. The authority is the
// cluster's (membership names it), so a lock is exclusive across nodes.

#include <chrono>

#include "actors/internal/dispatcher_state.hpp"

namespace hishamos::actors::internal {

namespace {

lock_ask ask_of(const dispatcher_state& st, const assign_step& s,
                const lock_claim& c) {
  lock_ask a{s.task.task_id,
             st.cfg.node_id,
             "step '" + s.task.step_id + "' of execution " +
                 s.task.execution_id,
             s.locks,
             c.order,
             0};
  if (s.lock_timeout_ms > 0) { // what is left of it, at least 1 ms
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    c.deadline - steady::now())
                    .count();
    a.timeout_ms = std::max<std::int64_t>(1, left);
  }
  return a;
}

dispatcher_state::waiting_queue::iterator* waiter(dispatcher_state& st,
                                                  const std::string& task_id) {
  auto it = st.lock_waiters.find(task_id);
  return it == st.lock_waiters.end() ? nullptr : &it->second;
}

} // namespace

void ask_locks(dispatcher_self* self, waiting_step& w) {
  auto& st = self->state;
  if (!st.authority || w.claim.phase != lock_phase::unasked)
    return;
  tell(self, st.authority, ask_of(st, w.step, w.claim));
  w.claim.phase = lock_phase::asked;
}

void free_locks(dispatcher_self* self, const std::string& task_id) {
  if (self->state.authority)
    tell(self, self->state.authority, lock_release_atom::value, task_id);
}

void ask_unasked(dispatcher_self* self) {
  auto& st = self->state;
  for (auto& [id, it] : st.lock_waiters)
    if (it->second.claim.phase == lock_phase::unasked &&
        any_match(st, it->second.step))
      ask_locks(self, it->second);
}

void locks_granted(dispatcher_self* self, const std::string& task_id) {
  auto& st = self->state;
  if (self->current_sender() != st.authority.address())
    return; // a previous authority: its grants no longer count
  auto* it = waiter(st, task_id);
  if (!it || (*it)->second.claim.phase != lock_phase::asked)
    return free_locks(self, task_id); // cancelled meanwhile
  (*it)->second.claim.phase = lock_phase::granted;
  pump(self);
}

void locks_denied(dispatcher_self* self, const std::string& task_id,
                  const std::string& holders) {
  auto& st = self->state;
  if (self->current_sender() != st.authority.address())
    return;
  auto* it = waiter(st, task_id);
  if (!it || (*it)->second.claim.phase != lock_phase::asked)
    return;
  auto& w = (*it)->second;
  w.rp.deliver(task_reply::failure(
      task_id,
      "step '" + w.step.task.step_id + "' waited " +
          std::to_string(w.step.lock_timeout_ms) + " ms for its locks " +
          model::describe(w.step.locks) + ", held by " + holders,
      false));
  unqueue(self, *it, false); // the authority dropped the request itself
  pump(self);
}

// Everything this node holds (running tasks, granted waiting steps) and
// everything it asked for goes to the new authority at once.
void turn_to(dispatcher_self* self, caf::actor authority) {
  auto& st = self->state;
  if (authority == st.authority)
    return;
  st.authority = std::move(authority);
  lock_sync sync{st.cfg.node_id, {}, {}};
  for (const auto& [id, t] : st.running)
    if (t.claim.phase == lock_phase::granted)
      sync.held.push_back(ask_of(st, t.step, t.claim));
  for (const auto& [id, it] : st.lock_waiters) {
    const auto& w = it->second;
    if (w.claim.phase == lock_phase::granted)
      sync.held.push_back(ask_of(st, w.step, w.claim));
    else if (w.claim.phase == lock_phase::asked)
      sync.waiting.push_back(ask_of(st, w.step, w.claim));
  }
  tell(self, st.authority, std::move(sync));
  ask_unasked(self);
}

} // namespace hishamos::actors::internal
