#include "admin/rate_limits.hpp"

#include <spdlog/spdlog.h>

#include "providers/redis_cache.hpp"
#include "security/crypto.hpp"

namespace hishamos::admin {

namespace {

// Keys a node keeps at most: the idle ones go first when it is full.
constexpr size_t local_key_limit = 100000;

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::int64_t ceil_s(std::int64_t ms) { return (ms + 999) / 1000; }

} // namespace

rate_limits::rate_limits(const std::string& redis_url) {
  if (redis_url.empty())
    return;
  if (auto where = providers::parse_redis_url(redis_url))
    redis_ = std::make_unique<providers::redis_cache>(
        *where, std::chrono::milliseconds{1000});
}

rate_limits::~rate_limits() = default;

rate_decision rate_limits::admit(const std::string& key, std::int64_t limit,
                                 std::chrono::seconds window) {
  if (limit <= 0)
    return {};
  auto window_ms = static_cast<std::int64_t>(window.count()) * 1000;
  if (redis_) {
    std::lock_guard lock{redis_mutex_};
    auto member = std::to_string(++sequence_) + "-" + security::random_token(6);
    auto got = redis_->admit(key, member, limit, window_ms);
    if (got.verdict >= 0) {
      if (redis_down_)
        spdlog::info("rate limits: Redis is back; limits are cluster-wide "
                     "again");
      redis_down_ = false;
      bool ok = got.verdict == 1;
      return {ok, limit, std::max<std::int64_t>(0, limit - got.count),
              ok ? 0 : std::max<std::int64_t>(1, ceil_s(got.wait_ms)),
              window.count()};
    }
    // Said once per outage, not per request.
    if (!redis_down_)
      spdlog::warn("rate limits: Redis is unavailable ({}); limiting per "
                   "node until it is back",
                   redis_->down());
    redis_down_ = true;
  }
  return admit_locally(key, limit, window_ms);
}

rate_decision rate_limits::admit_locally(const std::string& key,
                                         std::int64_t limit,
                                         std::int64_t window_ms) {
  std::lock_guard lock{mutex_};
  auto now = steady_ms();
  if (local_.size() >= local_key_limit && !local_.count(key))
    for (auto it = local_.begin(); it != local_.end();)
      it = it->second.empty() || it->second.back() <= now - window_ms
               ? local_.erase(it)
               : ++it;
  auto& log = local_[key];
  while (!log.empty() && log.front() <= now - window_ms)
    log.pop_front();
  auto window_s = window_ms / 1000;
  if (static_cast<std::int64_t>(log.size()) >= limit)
    return {false, limit, 0,
            std::max<std::int64_t>(1, ceil_s(log.front() + window_ms - now)),
            window_s};
  log.push_back(now);
  return {true, limit, limit - static_cast<std::int64_t>(log.size()), 0,
          window_s};
}

} // namespace hishamos::admin
