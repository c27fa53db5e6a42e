#include "persistence/store_pool.hpp"

#include <algorithm>
#include <random>
#include <thread>

namespace hishamos::persistence {

using clock = std::chrono::steady_clock;

size_t default_pool_size() {
  return std::max(1u, std::thread::hardware_concurrency()) * 2 + 1;
}

struct store_pool::slot {
  std::unique_ptr<store> db;
  bool in_use = false;
  clock::time_point last_used;
};

store_pool::store_pool(store_factory factory, pool_options options)
    : factory_(std::move(factory)), opts_(options),
      slots_(std::max<size_t>(1, options.size)) {}

store_pool::~store_pool() = default;

outcome<store_pool::lent> store_pool::acquire() {
  std::unique_lock<std::mutex> lock{mx_};
  auto deadline = clock::now() + opts_.wait;
  slot* chosen = nullptr;
  auto pick = [&] {
    // An open connection first; a closed slot only when none is free.
    for (auto& s : slots_)
      if (!s.in_use && s.db)
        return (chosen = &s) != nullptr;
    for (auto& s : slots_)
      if (!s.in_use)
        return (chosen = &s) != nullptr;
    return false;
  };
  if (!freed_.wait_until(lock, deadline, pick))
    return {{errc::unavailable, "all " + std::to_string(slots_.size()) +
                                    " store connections stayed busy for " +
                                    std::to_string(opts_.wait.count()) +
                                    " ms; fix: raise store.pool_size"}};
  chosen->in_use = true;
  lock.unlock();
  if (auto st = make_ready(*chosen); !st) {
    release(static_cast<size_t>(chosen - slots_.data()), true);
    return {st};
  }
  return {{}, {static_cast<size_t>(chosen - slots_.data()), chosen->db.get()}};
}

status store_pool::make_ready(slot& s) {
  if (s.db && clock::now() - s.last_used > opts_.idle_check && !s.db->ping()) {
    // Went stale while idle (server restart, idle timeout).
    std::unique_ptr<store> stale;
    std::lock_guard<std::mutex> guard{mx_};
    stale = std::move(s.db);
  }
  if (s.db)
    return {};
  {
    std::lock_guard<std::mutex> guard{mx_};
    auto now = clock::now();
    if (now < retry_at_)
      return {errc::unavailable,
              "the store is unreachable; reconnecting in " +
                  std::to_string(
                      std::chrono::duration_cast<std::chrono::milliseconds>(
                          retry_at_ - now)
                          .count()) +
                  " ms"};
  }
  auto opened = factory_();
  std::lock_guard<std::mutex> guard{mx_};
  if (!opened) {
    ++failed_connects_;
    // Full jitter: nodes that lost the same database do not reconnect in
    // lockstep.
    auto cap = std::min(opts_.backoff_max,
                        opts_.backoff_min * (1 << std::min(failures_++, 16)));
    static thread_local std::mt19937 rng{std::random_device{}()};
    retry_at_ = clock::now() +
                std::chrono::milliseconds{std::uniform_int_distribution<long>{
                    opts_.backoff_min.count() / 2, cap.count()}(rng)};
    return opened.st;
  }
  ++connects_;
  failures_ = 0;
  s.db = std::move(opened.value);
  return {};
}

void store_pool::release(size_t index, bool broken) {
  std::unique_ptr<store> closing;
  {
    std::lock_guard<std::mutex> guard{mx_};
    auto& s = slots_[index];
    if (broken)
      closing = std::move(s.db);
    s.in_use = false;
    s.last_used = clock::now();
  }
  freed_.notify_one();
  // `closing` is destroyed here, outside the lock (closing may block).
}

store_pool::stats store_pool::snapshot() const {
  std::lock_guard<std::mutex> guard{mx_};
  stats out;
  out.size = slots_.size();
  for (const auto& s : slots_) {
    out.open += s.db ? 1 : 0;
    out.in_use += s.in_use ? 1 : 0;
  }
  out.connects = connects_;
  out.failed_connects = failed_connects_;
  return out;
}

} // namespace hishamos::persistence
