#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <type_traits>
#include <vector>

#include "persistence/store.hpp"

namespace hishamos::persistence {

/// Opens one store connection.
using store_factory = std::function<outcome<std::unique_ptr<store>>()>;

/// (cores * 2) + 1: enough connections to keep every core busy while the
/// others wait on the network.
[[nodiscard]] size_t default_pool_size();

struct pool_options {
  size_t size = default_pool_size();
  /// Longest wait for a free connection before answering `unavailable`.
  std::chrono::milliseconds wait{2000};
  /// A connection idle longer than this is pinged before it is handed out.
  std::chrono::milliseconds idle_check{5000};
  /// Reconnect backoff after failed connection attempts: doubles from min
  /// to max, with full jitter.
  std::chrono::milliseconds backoff_min{50};
  std::chrono::milliseconds backoff_max{2000};
  /// Called after every call with its name and how long it took, waiting
  /// for a connection included (metrics, slow-call warnings); may be empty.
  std::function<void(const char* call, double seconds)> on_call;
};

/// A bounded pool of store connections for callers on plain threads (HTTP
/// handlers, embedder calls). Connections open on demand, are health-checked
/// when idle, and are dropped when a call reports the database unreachable;
/// reconnection then waits out a backoff, and while it does every call
/// answers `unavailable` at once instead of queueing. Calls block their
/// thread: actors never use the pool (they talk to the persistence actors).
class store_pool {
public:
  store_pool(store_factory factory, pool_options options = {});
  ~store_pool();
  store_pool(const store_pool&) = delete;
  store_pool& operator=(const store_pool&) = delete;

  /// Runs `fn(store&)` on a healthy connection and returns its result (a
  /// status or an outcome); when no connection can be had, a result with
  /// `unavailable` and why.
  template <class F> auto with(F&& fn) -> std::invoke_result_t<F, store&> {
    return with("store", std::forward<F>(fn));
  }
  /// As with(fn), naming the call for on_call.
  template <class F>
  auto with(const char* call, F&& fn) -> std::invoke_result_t<F, store&> {
    struct timed {
      const pool_options& o;
      const char* call;
      std::chrono::steady_clock::time_point t0 =
          std::chrono::steady_clock::now();
      ~timed() {
        if (o.on_call)
          o.on_call(call, std::chrono::duration<double>(
                              std::chrono::steady_clock::now() - t0)
                              .count());
      }
    } timer{opts_, call};
    using result = std::invoke_result_t<F, store&>;
    auto got = acquire();
    if (!got) {
      if constexpr (std::is_same_v<result, status>)
        return got.st;
      else
        return result{got.st, {}};
    }
    auto out = fn(*got.value.db);
    const status& st = [&]() -> const status& {
      if constexpr (std::is_same_v<result, status>)
        return out;
      else
        return out.st;
    }();
    release(got.value.index, is_retryable(st.code));
    return out;
  }

  struct stats {
    size_t size = 0;
    size_t open = 0;                   ///< Connections currently open.
    size_t in_use = 0;                 ///< Connections handed out.
    std::uint64_t connects = 0;        ///< Successful connection attempts.
    std::uint64_t failed_connects = 0; ///< Failed connection attempts.
  };
  [[nodiscard]] stats snapshot() const;

private:
  struct slot;
  struct lent {
    size_t index = 0;
    store* db = nullptr;
  };
  outcome<lent> acquire();
  /// Returns a connection; a broken one is closed, so the next use of the
  /// slot reconnects.
  void release(size_t index, bool broken);
  /// Opens or health-checks the connection of a slot taken by this thread.
  status make_ready(slot& s);

  store_factory factory_;
  pool_options opts_;
  mutable std::mutex mx_;
  std::condition_variable freed_;
  std::vector<slot> slots_;
  // Shared by all slots: when the database is down, it is down for all.
  int failures_ = 0;
  std::chrono::steady_clock::time_point retry_at_;
  std::uint64_t connects_ = 0;
  std::uint64_t failed_connects_ = 0;
};

} // namespace hishamos::persistence
