#pragma once

// The executions a node runs now, and its room for more. Each running
// execution is one actor, registered from spawn until it quits; with
// node.max_executions the registry also counts slots reserved for
// executions that are being stored or claimed, so that neither submission
// nor the lease keeper ever starts more than the limit. Thread-safe: HTTP
// threads, the lease keeper's thread and actor exits all reach it.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "actors/interfaces.hpp"

namespace hishamos::runtime {

class execution_registry {
public:
  /// `limit` executions at once; 0 = no limit.
  explicit execution_registry(int limit) : limit_(limit) {}

  /// Spawns an execution with `spawn` and registers it under `id` before
  /// it can run, so that its removal on exit never comes first. `on_exit`
  /// runs (outside the registry's lock) after it was removed.
  actors::execution_actor
  add(const std::string& id,
      const std::function<actors::execution_actor()>& spawn,
      std::function<void()> on_exit);
  /// The running execution with this id, or a null handle.
  [[nodiscard]] actors::execution_actor find(const std::string& id);
  /// Every running execution.
  [[nodiscard]] std::vector<actors::execution_actor> all();
  [[nodiscard]] size_t size();

  /// Takes one slot for an execution about to be stored and run here;
  /// false when the node is at its limit (the execution then waits in the
  /// store for a node with room). Always true without a limit.
  [[nodiscard]] bool reserve_one();
  /// Reserves room for up to `wanted` more executions and returns how many.
  [[nodiscard]] int reserve(int wanted);
  /// Ends reservations once their executions are registered (or not).
  void release(int n);

  /// Waits until no execution runs, at most `grace`; true if none does.
  bool wait_empty(std::chrono::milliseconds grace);

private:
  const int limit_;
  std::mutex mx_;
  std::condition_variable emptied_;
  std::map<std::string, actors::execution_actor> live_;
  int reserved_ = 0;
};

} // namespace hishamos::runtime
