#pragma once

// What keeps provider calls well-behaved, as pure classes with the clock
// passed in: retry delays, a circuit breaker per endpoint, and admission
// limits in requests and tokens per minute.

#include <chrono>
#include <cstdint>
#include <deque>
#include <random>
#include <string>

namespace hishamos::providers {

using clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

/// Exponential backoff with full jitter: uniform in [0, min(cap, base *
/// 2^retry)] for retry 0, 1, 2, ...; never shorter than `retry_after`
/// (Retry-After, -1 = none).
[[nodiscard]] milliseconds backoff_delay(int retry, milliseconds base,
                                         milliseconds cap,
                                         std::int64_t retry_after_ms,
                                         std::mt19937_64& rng);

/// Closed: calls pass. `failures` in a row open it: calls fail at once
/// for `open_for`; then it is half-open: one trial call passes, its
/// success closes it, its failure opens it again.
class circuit_breaker {
public:
  enum class state { closed, open, half_open };

  circuit_breaker(int failures = 5, milliseconds open_for = milliseconds{30000})
      : threshold_(failures), open_for_(open_for) {}

  /// May a call start now? In half-open, only one at a time.
  [[nodiscard]] bool allow(clock::time_point now);
  void on_success();
  void on_failure(clock::time_point now);
  [[nodiscard]] state current(clock::time_point now) const;
  [[nodiscard]] static const char* name(state s);

private:
  int threshold_;
  milliseconds open_for_;
  int failures_ = 0;
  bool open_ = false;
  bool trial_running_ = false;
  clock::time_point opened_at_;
};

/// Requests and tokens admitted in the last minute, so that no sliding
/// minute ever holds more than the limits (a token bucket would let twice
/// the limit through around a refill). A call reserves its estimated
/// tokens before it starts and settles the reservation with the real usage
/// after.
class minute_window {
public:
  minute_window(std::int64_t requests_per_minute,
                std::int64_t tokens_per_minute,
                milliseconds window = std::chrono::minutes{1})
      : rpm_(requests_per_minute), tpm_(tokens_per_minute), window_(window) {}

  /// Admits a call of `tokens` now and returns its reservation id, or
  /// returns -1 and sets `wait` to how long until it could be admitted.
  /// A call larger than the whole token limit is admitted alone, when the
  /// window is empty, rather than never.
  std::int64_t reserve(std::int64_t tokens, clock::time_point now,
                       milliseconds& wait);
  /// Replaces a reservation's estimate by the tokens really used.
  void settle(std::int64_t id, std::int64_t tokens);
  [[nodiscard]] std::int64_t tokens_in_window(clock::time_point now);
  [[nodiscard]] bool limited() const { return rpm_ > 0 || tpm_ > 0; }

private:
  struct entry {
    std::int64_t id;
    clock::time_point at;
    std::int64_t tokens;
  };
  void expire(clock::time_point now);
  std::int64_t rpm_, tpm_;
  milliseconds window_;
  std::deque<entry> admitted_;
  std::int64_t tokens_ = 0;
  std::int64_t next_id_ = 0;
};

} // namespace hishamos::providers
