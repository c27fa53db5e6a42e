#pragma once

// The API's rate limits: sliding-window logs per user, per API key, and
// for sign-in attempts per account and per client address. With Redis
// (cache.redis_url) every node shares each window (one server-side script
// on Redis's clock, as the provider limits do); without it, or while Redis
// is down, each node keeps its own.

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace hishamos::providers {
class redis_cache;
} // namespace hishamos::providers

namespace hishamos::admin {

/// What a limit said of one request, for its RateLimit-* headers.
struct rate_decision {
  bool allowed = true;
  std::int64_t limit = 0;
  std::int64_t remaining = 0;
  std::int64_t retry_after_s = 0; ///< When refused.
  std::int64_t window_s = 0;
};

class rate_limits {
public:
  /// `redis_url` "" = per node only.
  explicit rate_limits(const std::string& redis_url);
  ~rate_limits();

  /// Admits one request under `key` if fewer than `limit` were admitted in
  /// the last `window`; limit 0 admits all.
  rate_decision admit(const std::string& key, std::int64_t limit,
                      std::chrono::seconds window);

private:
  rate_decision admit_locally(const std::string& key, std::int64_t limit,
                              std::int64_t window_ms);

  std::mutex mutex_;
  std::map<std::string, std::deque<std::int64_t>> local_; ///< Admission times.
  std::unique_ptr<providers::redis_cache> redis_; ///< Guarded by redis_mutex_.
  std::mutex redis_mutex_;
  bool redis_down_ = false; ///< Guarded by redis_mutex_.
  std::uint64_t sequence_ = 0;
};

} // namespace hishamos::admin
