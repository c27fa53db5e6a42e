#pragma once

#include <string>

#include "model/result.hpp"

namespace hishamos::runtime {

/// An exclusive lock on an embedded (SQLite) store: the embedded store is
/// single-node, and a second node on the same file would claim the first
/// one's executions. Released when destroyed or when the process dies.
class store_lock {
public:
  store_lock() = default;
  ~store_lock();
  store_lock(store_lock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  store_lock& operator=(store_lock&& other) noexcept;
  store_lock(const store_lock&) = delete;
  store_lock& operator=(const store_lock&) = delete;

  /// Locks `url` if it names an embedded store; other URLs need no lock.
  static model::result<store_lock> acquire(const std::string& url);

private:
  int fd_ = -1;
};

} // namespace hishamos::runtime
