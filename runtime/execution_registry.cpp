#include "runtime/execution_registry.hpp"

#include <algorithm>

#include <caf/all.hpp>

namespace hishamos::runtime {

actors::execution_actor
execution_registry::add(const std::string& id,
                        const std::function<actors::execution_actor()>& spawn,
                        std::function<void()> on_exit) {
  actors::execution_actor a;
  {
    std::lock_guard<std::mutex> guard{mx_};
    a = spawn();
    live_[id] = a;
  }
  // Attached outside the lock: to an actor that has ended already (one
  // that failed at once) CAF runs the hook here and now, and the hook
  // takes the lock.
  a->attach_functor(
      [this, id, self = a.address(), on_exit = std::move(on_exit)] {
        {
          std::lock_guard<std::mutex> guard{mx_};
          // Its own entry only: the execution may run here again by now.
          if (auto it = live_.find(id);
              it != live_.end() && it->second.address() == self)
            live_.erase(it);
          emptied_.notify_all();
        }
        if (on_exit)
          on_exit();
      });
  return a;
}

actors::execution_actor execution_registry::find(const std::string& id) {
  std::lock_guard<std::mutex> guard{mx_};
  auto it = live_.find(id);
  return it == live_.end() ? actors::execution_actor{} : it->second;
}

std::vector<actors::execution_actor> execution_registry::all() {
  std::lock_guard<std::mutex> guard{mx_};
  std::vector<actors::execution_actor> out;
  for (const auto& [id, a] : live_)
    out.push_back(a);
  return out;
}

size_t execution_registry::size() {
  std::lock_guard<std::mutex> guard{mx_};
  return live_.size();
}

bool execution_registry::reserve_one() { return reserve(1) == 1; }

int execution_registry::reserve(int wanted) {
  if (limit_ <= 0)
    return wanted;
  std::lock_guard<std::mutex> guard{mx_};
  int free = limit_ - static_cast<int>(live_.size()) - reserved_;
  int take = std::max(0, std::min(free, wanted));
  reserved_ += take;
  return take;
}

void execution_registry::release(int n) {
  if (limit_ <= 0)
    return;
  std::lock_guard<std::mutex> guard{mx_};
  reserved_ -= n;
}

bool execution_registry::wait_empty(std::chrono::milliseconds grace) {
  std::unique_lock<std::mutex> lock{mx_};
  return emptied_.wait_for(lock, grace, [this] { return live_.empty(); });
}

} // namespace hishamos::runtime
