// The dispatcher's queue of waiting steps: kept in effective-priority
// order (model/queue_order.hpp), with the steps that declare locks indexed
// for the lock authority's answers. One pump pass starts every step that
// can start now.

#include <limits>

#include "actors/internal/dispatcher_state.hpp"
#include "actors/metrics.hpp"
#include "model/queue_order.hpp"

namespace hishamos::actors::internal {

namespace {

double seconds_since_epoch(steady::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

// The queue's length, for the metrics (hishamos_dispatch_steps_waiting).
void report_waiting(const dispatcher_state& st) {
  if (st.cfg.metrics)
    st.cfg.metrics->steps_waiting(st.waiting.size());
}

// Takes a step out of the queue (its locks are the caller's).
dispatcher_state::waiting_queue::iterator
leave_queue(dispatcher_state& st, dispatcher_state::waiting_queue::iterator it) {
  if (auto k = st.waiting_keys.find(it->second.key);
      k != st.waiting_keys.end() && --k->second <= 0)
    st.waiting_keys.erase(k);
  auto next = st.waiting.erase(it);
  report_waiting(st);
  return next;
}

} // namespace

// Queues a step in effective-priority order; `first` puts it ahead of all.
dispatcher_state::waiting_queue::iterator enqueue(dispatcher_self* self,
                                                  waiting_step w, bool first) {
  auto& st = self->state;
  w.key = key_of(st, w.step);
  double key = first
                   ? std::numeric_limits<double>::max()
                   : model::queue_key(w.step.priority, st.cfg.aging_per_second,
                                      seconds_since_epoch(w.since));
  bool locks = !w.step.locks.empty();
  if (locks && w.claim.phase == lock_phase::none) {
    // Its place among the lock requests of the whole cluster: the same
    // order as this queue's, on a clock that all nodes share.
    auto wall = std::chrono::duration<double>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
    w.claim = {lock_phase::unasked,
               model::queue_key(w.step.priority, st.cfg.aging_per_second, wall),
               w.since + std::chrono::milliseconds{w.step.lock_timeout_ms}};
  }
  auto task_id = w.step.task.task_id;
  ++st.waiting_keys[w.key];
  auto it = st.waiting.emplace(key, std::move(w));
  if (locks) {
    st.lock_waiters[task_id] = it;
    if (any_match(st, it->second.step))
      ask_locks(self, it->second);
  }
  return it;
}

dispatcher_state::waiting_queue::iterator
unqueue(dispatcher_self* self, dispatcher_state::waiting_queue::iterator it,
        bool free) {
  auto& st = self->state;
  auto& claim = it->second.claim;
  if (claim.phase != lock_phase::none) {
    if (free && (claim.phase == lock_phase::asked ||
                 claim.phase == lock_phase::granted))
      free_locks(self, it->second.step.task.task_id);
    st.lock_waiters.erase(it->second.step.task.task_id);
  }
  return leave_queue(st, it);
}

// Puts a running task back at the head of the queue (its agent was busy,
// then it keeps its locks, or is gone, then they are freed), unless its
// agents were lost too often: then its execution hears. A busy agent is
// alive and frees capacity as its tasks end, so waiting for it is never
// a failure (the step's timeout still bounds the wait): under load the
// dispatchers of several nodes share its capacity and may all be
// refused for longer than any fixed count of tries.
void requeue(dispatcher_self* self, const std::string& task_id, task_reply why,
             bool keep_locks) {
  auto it = self->state.running.find(task_id);
  if (it == self->state.running.end())
    return;
  if (!why.busy && it->second.requeued >= max_requeues)
    return finish(self, task_id, std::move(why), false);
  auto t = release(self, it, keep_locks);
  if (auto g = self->state.groups.find(t.group); g != self->state.groups.end())
    g->second.used.erase(t.agent_id); // another agent may take it
  waiting_step w{std::move(t.step), std::move(t.rp),
                 t.requeued + (why.busy ? 0 : 1), t.since, t.claim};
  w.group = std::move(t.group);
  enqueue(self, std::move(w), true);
  pump(self);
}

namespace {

// Runs a waiting step on the agent routing picked.
void start_on(dispatcher_self* self,
              dispatcher_state::waiting_queue::iterator it, pick_result& p) {
  auto& st = self->state;
  auto ready = std::move(it->second);
  if (ready.claim.phase != lock_phase::none)
    st.lock_waiters.erase(ready.step.task.task_id);
  leave_queue(st, it);
  run_on(self, st.agents[static_cast<size_t>(p.agent)], std::move(ready),
         std::move(p.decision));
}

// Starts every waiting step that now has a free agent (and holds its
// locks), in effective-priority order. Steps whose candidates turned out
// all busy in this pass are not scored again: one pass costs O(waiting),
// not O(waiting x agents).
void start_ready(dispatcher_self* self) {
  auto& st = self->state;
  if (st.waiting.empty() || !any_free_slot(st))
    return;
  // Selector keys without a free agent in this pass -> whether any agent
  // matches them at all.
  std::unordered_map<int, bool> exhausted;
  for (auto it = st.waiting.begin(); it != st.waiting.end();) {
    auto cur = it++;
    auto& w = cur->second;
    auto phase = w.claim.phase;
    if (phase == lock_phase::unasked || phase == lock_phase::asked)
      continue; // waits for the lock authority
    bool matched = true;
    if (auto known = exhausted.find(w.key);
        w.group.empty() && known != exhausted.end()) {
      matched = known->second;
    } else {
      auto p = pick(st, w);
      if (p.agent >= 0) {
        start_on(self, cur, p);
        if (!any_free_slot(st))
          return;
        continue;
      }
      matched = p.agent != -2;
      if (w.group.empty() && !p.limited)
        exhausted.emplace(w.key, matched);
    }
    // A step no known agent matches (its node is gone, or not joined yet)
    // cannot run soon: it holds nobody's locks back.
    if (!matched && phase == lock_phase::granted) {
      free_locks(self, w.step.task.task_id);
      w.claim.phase = lock_phase::unasked;
    }
  }
}

} // namespace

void pump(dispatcher_self* self) {
  start_ready(self);
  report_waiting(self->state);
}

// The queue is settled after every pump: no waiting step can start. A new
// step changes that for itself only; a step with a group or locks takes
// the whole pass (its start depends on others).
void pump_arrived(dispatcher_self* self,
                  dispatcher_state::waiting_queue::iterator it) {
  auto& w = it->second;
  if (!w.group.empty() || w.claim.phase != lock_phase::none)
    return pump(self);
  if (!any_free_slot(self->state))
    return;
  if (auto p = pick(self->state, w); p.agent >= 0)
    start_on(self, it, p);
}

void pump_released(dispatcher_self* self, const hosted_agent& freed,
                   bool limits) {
  auto& st = self->state;
  if (limits)
    return pump(self);
  for (const auto& [key, count] : st.waiting_keys)
    if (matches(freed, st.selectors[static_cast<size_t>(key)]))
      return pump(self);
}

} // namespace hishamos::actors::internal
