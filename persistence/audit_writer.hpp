#pragma once

// The audit records a mutation cannot go without: each request waits until
// its record is committed, and the records of requests that wait at the
// same time are committed together (one transaction), so that auditing
// every mutation costs one commit per group, not per request. A record
// that cannot be written refuses its request (fail closed).

#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>

#include "persistence/store_pool.hpp"

namespace hishamos::persistence {

class audit_writer {
public:
  explicit audit_writer(store_pool& pool);
  ~audit_writer();
  audit_writer(const audit_writer&) = delete;
  audit_writer& operator=(const audit_writer&) = delete;

  /// Commits `e` (with others waiting now); `unavailable` when it could
  /// not be within 5 s.
  status write(audit_event e);

private:
  struct pending {
    audit_event event;
    std::promise<status> done;
  };
  void run();

  store_pool& pool_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<pending> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

} // namespace hishamos::persistence
