#include "providers/resilience.hpp"

#include <algorithm>

namespace hishamos::providers {

milliseconds backoff_delay(int retry, milliseconds base, milliseconds cap,
                           std::int64_t retry_after_ms, std::mt19937_64& rng) {
  auto ceiling = base.count();
  for (int i = 0; i < retry && ceiling < cap.count(); ++i)
    ceiling *= 2;
  ceiling = std::min(ceiling, cap.count());
  std::uniform_int_distribution<std::int64_t> pick{
      0, std::max<std::int64_t>(0, ceiling)};
  return milliseconds{std::max(pick(rng), retry_after_ms)};
}

bool circuit_breaker::allow(clock::time_point now) {
  switch (current(now)) {
  case state::closed:
    return true;
  case state::open:
    return false;
  case state::half_open:
    if (trial_running_)
      return false;
    trial_running_ = true;
    return true;
  }
  return false;
}

void circuit_breaker::on_success() {
  failures_ = 0;
  open_ = false;
  trial_running_ = false;
}

void circuit_breaker::on_failure(clock::time_point now) {
  if (open_ || ++failures_ >= threshold_) { // a failed trial reopens it
    open_ = true;
    opened_at_ = now;
  }
  trial_running_ = false;
}

circuit_breaker::state circuit_breaker::current(clock::time_point now) const {
  if (!open_)
    return state::closed;
  return now - opened_at_ < open_for_ ? state::open : state::half_open;
}

const char* circuit_breaker::name(state s) {
  switch (s) {
  case state::closed:
    return "closed";
  case state::open:
    return "open";
  case state::half_open:
    return "half_open";
  }
  return "?";
}

void minute_window::expire(clock::time_point now) {
  while (!admitted_.empty() && now - admitted_.front().at >= window_) {
    tokens_ -= admitted_.front().tokens;
    admitted_.pop_front();
  }
}

std::int64_t minute_window::reserve(std::int64_t tokens, clock::time_point now,
                                    milliseconds& wait) {
  expire(now);
  bool requests_ok =
      rpm_ <= 0 || static_cast<std::int64_t>(admitted_.size()) < rpm_;
  bool tokens_ok = tpm_ <= 0 || tokens_ + tokens <= tpm_ ||
                   admitted_.empty(); // larger than the limit: alone
  if (requests_ok && tokens_ok) {
    admitted_.push_back({next_id_, now, tokens});
    tokens_ += tokens;
    return next_id_++;
  }
  // The earliest time enough of the window has expired.
  std::int64_t freed = 0;
  std::size_t gone = 0;
  clock::time_point when = now;
  for (const auto& e : admitted_) {
    freed += e.tokens;
    ++gone;
    when = e.at + window_;
    bool r =
        rpm_ <= 0 || static_cast<std::int64_t>(admitted_.size() - gone) < rpm_;
    bool t = tpm_ <= 0 || tokens_ - freed + tokens <= tpm_ ||
             gone == admitted_.size();
    if (r && t)
      break;
  }
  wait = std::max(milliseconds{1}, std::chrono::ceil<milliseconds>(when - now));
  return -1;
}

void minute_window::settle(std::int64_t id, std::int64_t tokens) {
  for (auto& e : admitted_)
    if (e.id == id) {
      tokens_ += tokens - e.tokens;
      e.tokens = tokens;
      return;
    }
}

std::int64_t minute_window::tokens_in_window(clock::time_point now) {
  expire(now);
  return tokens_;
}

} // namespace hishamos::providers
