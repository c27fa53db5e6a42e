#pragma once

// The threads that run route handlers. Handlers block (on the store, on
// an actor's answer), so they never run on the threads that read and write
// connections; a bounded queue holds the requests waiting for a thread, and
// a request that finds it full is refused at once (503) instead of waiting
// without bound. Thread-safe.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace hishamos::admin {

class worker_pool {
public:
  worker_pool(int threads, size_t queue_limit);
  ~worker_pool();
  worker_pool(const worker_pool&) = delete;
  worker_pool& operator=(const worker_pool&) = delete;

  /// Queues `job`; false when the queue is full (or the pool stopped).
  [[nodiscard]] bool try_post(std::function<void()> job);
  /// Runs what is queued, then joins the threads.
  void stop();
  /// Jobs waiting for a thread now.
  [[nodiscard]] size_t waiting();

private:
  void run();

  const size_t limit_;
  std::mutex mx_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

/// The node's request throttle: a token bucket refilled at `rate` per
/// second, holding at most one second's worth. Thread-safe.
class throttle {
public:
  explicit throttle(double rate) : rate_(rate), tokens_(rate) {}
  /// True when a request may go on now; always true with rate 0 (off).
  [[nodiscard]] bool admit();

private:
  const double rate_;
  std::mutex mx_;
  double tokens_;
  std::chrono::steady_clock::time_point last_ =
      std::chrono::steady_clock::now();
};

} // namespace hishamos::admin
