#include "persistence/audit_writer.hpp"

#include <chrono>

namespace hishamos::persistence {

namespace {
constexpr size_t max_group = 500;
constexpr std::chrono::seconds write_timeout{5};
} // namespace

audit_writer::audit_writer(store_pool& pool)
    : pool_(pool), thread_([this] { run(); }) {}

audit_writer::~audit_writer() {
  {
    std::lock_guard lock{mutex_};
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

status audit_writer::write(audit_event e) {
  std::future<status> done;
  {
    std::lock_guard lock{mutex_};
    if (stopping_)
      return {errc::unavailable, "the node is stopping"};
    queue_.push_back({std::move(e), {}});
    done = queue_.back().done.get_future();
  }
  wake_.notify_one();
  if (done.wait_for(write_timeout) != std::future_status::ready)
    return {errc::unavailable, "the audit record was not committed within 5 s"};
  return done.get();
}

void audit_writer::run() {
  for (;;) {
    std::vector<pending> group;
    {
      std::unique_lock lock{mutex_};
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty())
        return;
      while (!queue_.empty() && group.size() < max_group) {
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    record_batch batch;
    for (const auto& p : group)
      batch.audit_events.push_back(p.event);
    auto st = pool_.with("append_audit",
                         [&](store& db) { return db.append_records(batch); });
    for (auto& p : group)
      p.done.set_value(st);
  }
}

} // namespace hishamos::persistence
