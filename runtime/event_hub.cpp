#include "runtime/event_hub.hpp"

namespace hishamos::runtime {

std::string public_kind(const std::string& k) {
  if (k == "result")
    return "completed";
  if (k == "completed")
    return "checkpointed";
  if (k == "retrying")
    return "retried";
  return k;
}

std::shared_ptr<void> event_hub::watch(const std::string& execution_id,
                                       callback fn) {
  std::uint64_t id;
  {
    std::lock_guard<std::mutex> guard{mx_};
    id = next_++;
    by_execution_[execution_id].push_back({id, std::move(fn)});
    ++count_;
  }
  // The handle removes the watcher when the last copy is released.
  return std::shared_ptr<void>(
      nullptr, [this, execution_id, id](void*) { remove(execution_id, id); });
}

void event_hub::remove(const std::string& execution_id, std::uint64_t id) {
  std::lock_guard<std::mutex> guard{mx_};
  auto it = by_execution_.find(execution_id);
  if (it == by_execution_.end())
    return;
  auto& xs = it->second;
  for (auto w = xs.begin(); w != xs.end(); ++w)
    if (w->id == id) {
      xs.erase(w);
      --count_;
      break;
    }
  if (xs.empty())
    by_execution_.erase(it);
}

void event_hub::publish(const execution_event& e) {
  if (count_ == 0)
    return;
  std::vector<callback> fns;
  {
    std::lock_guard<std::mutex> guard{mx_};
    auto it = by_execution_.find(e.execution_id);
    if (it == by_execution_.end())
      return;
    for (const auto& w : it->second)
      fns.push_back(w.fn);
  }
  for (const auto& fn : fns) // outside the lock: a watcher may unwatch
    fn(e);
}

void event_hub::step(const model::step_event& e) {
  if (count_ == 0)
    return;
  publish({public_kind(e.kind), e.execution_id, e.step_id, e.attempt,
           e.agent_id, e.detail, e.at_ms, ""});
}

void event_hub::finished(const model::execution_finished& e) {
  if (count_ == 0)
    return;
  publish({"finished", e.execution_id, "", 0, "", e.error, 0, e.state});
}

std::vector<std::string> event_hub::watched() {
  std::lock_guard<std::mutex> guard{mx_};
  std::vector<std::string> out;
  for (const auto& [id, xs] : by_execution_)
    out.push_back(id);
  return out;
}

} // namespace hishamos::runtime
