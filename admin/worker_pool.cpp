#include "admin/worker_pool.hpp"

#include <algorithm>

namespace hishamos::admin {

worker_pool::worker_pool(int threads, size_t queue_limit)
    : limit_(queue_limit) {
  for (int i = 0; i < std::max(threads, 1); ++i)
    threads_.emplace_back([this] { run(); });
}

worker_pool::~worker_pool() { stop(); }

bool worker_pool::try_post(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> guard{mx_};
    if (stopping_ || jobs_.size() >= limit_)
      return false;
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
  return true;
}

size_t worker_pool::waiting() {
  std::lock_guard<std::mutex> guard{mx_};
  return jobs_.size();
}

void worker_pool::stop() {
  {
    std::lock_guard<std::mutex> guard{mx_};
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_)
    if (t.joinable())
      t.join();
  threads_.clear();
}

void worker_pool::run() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> lock{mx_};
      cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty())
        return; // stopping, and nothing left
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

bool throttle::admit() {
  if (rate_ <= 0)
    return true;
  std::lock_guard<std::mutex> guard{mx_};
  auto now = std::chrono::steady_clock::now();
  std::chrono::duration<double> dt = now - last_;
  last_ = now;
  tokens_ = std::min(rate_, tokens_ + dt.count() * rate_);
  if (tokens_ < 1)
    return false;
  tokens_ -= 1;
  return true;
}

} // namespace hishamos::admin
