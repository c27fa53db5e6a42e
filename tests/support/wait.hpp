#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <thread>

namespace hishamos::test {

/// Polls `pred` until it holds or `timeout` passes; true if it held. Use it
/// to wait for a condition; never sleep to synchronise.
inline bool wait_until(const std::function<bool()>& pred,
                       std::chrono::milliseconds timeout = std::chrono::seconds{
                           10}) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline)
      return pred();
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  }
  return true;
}

} // namespace hishamos::test
