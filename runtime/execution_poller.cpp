#include "runtime/execution_poller.hpp"

namespace hishamos::runtime {

execution_poller::execution_poller(
    event_hub& hub, persistence::store_pool& pool,
    std::function<bool(const std::string&)> is_local,
    std::chrono::milliseconds period)
    : hub_(hub), pool_(pool), is_local_(std::move(is_local)), period_(period),
      thread_([this] { run(); }) {}

execution_poller::~execution_poller() {
  {
    std::lock_guard<std::mutex> guard{mx_};
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void execution_poller::run() {
  std::unique_lock<std::mutex> lock{mx_};
  while (!stopping_) {
    lock.unlock();
    auto watched = hub_.watched();
    std::set<std::string> now(watched.begin(), watched.end());
    for (auto it = seen_.begin(); it != seen_.end();)
      it = now.count(it->first) ? std::next(it) : seen_.erase(it);
    for (const auto& id : watched)
      if (!is_local_(id))
        poll(id, seen_[id]);
    lock.lock();
    cv_.wait_for(lock, period_, [this] { return stopping_; });
  }
}

void execution_poller::poll(const std::string& id, seen& s) {
  if (s.finished)
    return;
  struct view {
    std::optional<persistence::execution_record> rec;
    std::vector<persistence::checkpoint> cps;
  };
  auto got = pool_.with("find_execution", [&](persistence::store& db) {
    persistence::outcome<view> out;
    auto rec = db.find_execution(id);
    if (out.st = rec.st; !out.st || !rec.value)
      return out;
    auto cps = db.checkpoints(id);
    out.st = cps.st;
    out.value = {std::move(rec.value), std::move(cps.value)};
    return out;
  });
  if (!got || !got.value.rec)
    return;
  for (const auto& cp : got.value.cps)
    if (s.steps.insert(cp.step_id).second)
      hub_.publish({"checkpointed", id, cp.step_id, cp.attempt, cp.agent_id, "",
                    cp.finished_at_ms, ""});
  const auto& rec = *got.value.rec;
  if (persistence::is_terminal(rec.state)) {
    s.finished = true;
    hub_.publish({"finished", id, "", 0, "", rec.error, rec.updated_at_ms,
                  persistence::to_string(rec.state)});
  }
}

} // namespace hishamos::runtime
