#pragma once

// Watches executions that run on other nodes, through the store: every
// half second it reads each watched, non-local execution's state and
// checkpoints, and publishes what is new to the event hub (checkpointed
// steps, the terminal state). Local executions publish their own events.
// A thread of its own (store calls block); idle when nothing is watched.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "persistence/store_pool.hpp"
#include "runtime/event_hub.hpp"

namespace hishamos::runtime {

class execution_poller {
public:
  execution_poller(event_hub& hub, persistence::store_pool& pool,
                   std::function<bool(const std::string&)> is_local,
                   std::chrono::milliseconds period = std::chrono::milliseconds{
                       500});
  ~execution_poller();
  execution_poller(const execution_poller&) = delete;
  execution_poller& operator=(const execution_poller&) = delete;

private:
  struct seen {
    std::set<std::string> steps;
    bool finished = false;
  };
  void run();
  void poll(const std::string& id, seen& s);

  event_hub& hub_;
  persistence::store_pool& pool_;
  std::function<bool(const std::string&)> is_local_;
  std::chrono::milliseconds period_;
  std::map<std::string, seen> seen_; ///< Poller thread only.
  std::mutex mx_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

} // namespace hishamos::runtime
