#pragma once

// L2: provider answers in Redis, shared by every node of the cluster.
// Values are msgpack-encoded cached_answer, with a TTL. Blocking (hiredis),
// so it runs on a detached actor of its own (actors/provider_gateway.cpp),
// never on the cooperative scheduler. An outage is never an error of a
// call: the cache answers "miss" and, for a while, does not try Redis.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "model/result.hpp"
#include "providers/response_cache.hpp"

struct redisContext;

namespace hishamos::providers {

/// redis://host[:port][/db]
struct redis_address {
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;
};
[[nodiscard]] model::result<redis_address>
parse_redis_url(const std::string& url);

/// cached_answer <-> msgpack bytes; nullopt for bytes that do not decode.
[[nodiscard]] std::string encode(const cached_answer& a);
[[nodiscard]] std::optional<cached_answer> decode(const std::string& bytes);

class redis_cache {
public:
  redis_cache(redis_address where, std::chrono::milliseconds ttl,
              std::chrono::milliseconds timeout = std::chrono::milliseconds{
                  250});
  ~redis_cache();
  redis_cache(const redis_cache&) = delete;
  redis_cache& operator=(const redis_cache&) = delete;

  /// A hit, or nullopt for a miss or an outage (then `down()` says why).
  [[nodiscard]] std::optional<cached_answer> get(const std::string& key);
  void put(const std::string& key, const cached_answer& value);
  /// Cluster-wide admission (resilience.hpp's minute_window, held in
  /// Redis and decided by one server-side script, so that every node sees
  /// the same window): admits `tokens` for reservation `id` and returns 0,
  /// or returns how many ms to wait; -1 when Redis is unavailable.
  std::int64_t reserve(const std::string& window, const std::string& id,
                       std::int64_t tokens, std::int64_t requests_limit,
                       std::int64_t tokens_limit, std::int64_t window_ms);
  /// A sliding-window log in Redis, decided by one server-side script on
  /// Redis's clock (so every node shares the window): admits `member` when
  /// fewer than `limit` were admitted under `key` in the last `window_ms`.
  struct admission {
    int verdict = -1;         ///< 1 admitted, 0 refused, -1 Redis unavailable.
    std::int64_t count = 0;   ///< Admitted in the window, this one included.
    std::int64_t wait_ms = 0; ///< When refused: until the oldest leaves.
  };
  admission admit(const std::string& key, const std::string& member,
                  std::int64_t limit, std::int64_t window_ms);
  /// Replaces reservation `id`'s tokens by the real usage.
  void settle(const std::string& window, const std::string& id,
              std::int64_t tokens);
  /// Why Redis is not used right now ("" = it is).
  [[nodiscard]] const std::string& down() const { return down_; }

private:
  bool ready(); // connected, or reconnected after the pause
  void fail(const std::string& why);
  redis_address where_;
  std::chrono::milliseconds ttl_, timeout_;
  redisContext* ctx_ = nullptr;
  std::string down_;
  std::chrono::steady_clock::time_point retry_at_;
};

} // namespace hishamos::providers
