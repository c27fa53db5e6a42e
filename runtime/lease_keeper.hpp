#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "persistence/store.hpp"

namespace hishamos::runtime {

/// What a lease keeper is built from.
struct lease_settings {
  std::string node_id;
  std::chrono::milliseconds lease{10000};    ///< Validity of one renewal.
  std::chrono::milliseconds heartbeat{2000}; ///< Renewal and claim period.
  int claim_limit = 100;                     ///< Executions claimed per period.
  /// When set, reserves room for up to `wanted` more executions (the
  /// node's limit minus what runs and what is reserved) and returns how
  /// many; claims never exceed it. `release_room` ends the reservation
  /// after the claimed executions were handed to `resume`.
  std::function<int(int wanted)> room;
  std::function<void(int)> release_room;
  /// Opens the keeper's own store connection.
  std::function<persistence::outcome<std::unique_ptr<persistence::store>>()>
      factory;
  /// Called on the keeper's thread for each execution it claimed.
  std::function<void(persistence::execution_record,
                     std::vector<persistence::checkpoint>)>
      resume;
  /// False while the node drains: then nothing is claimed.
  std::function<bool()> accepting;
  /// When set, called every period with the nodes table (membership
  /// connects to the live peers).
  std::function<void(std::vector<persistence::node_row>)> on_nodes;
  /// Called when a lease renewal fails (may be empty).
  std::function<void()> on_renewal_failed;
};

/// Keeps this node's lease alive and takes over executions whose owner's
/// lease expired. Every heartbeat period it renews the lease (database
/// time) and, while the node accepts work, claims up to `claim_limit`
/// unfinished executions of expired nodes (FOR UPDATE SKIP LOCKED, epoch
/// bumped) and hands each, with its checkpoints, to `resume`. Store calls
/// block, so it runs on a thread of its own. A lost connection is reopened
/// at the next period; a gap longer than the lease lets other nodes take
/// this node's executions, whose later writes are then fenced by epoch.
class lease_keeper {
public:
  explicit lease_keeper(lease_settings settings);
  ~lease_keeper();
  lease_keeper(const lease_keeper&) = delete;
  lease_keeper& operator=(const lease_keeper&) = delete;

  /// Stops the thread (the lease is left to expire or be released).
  void stop();
  /// Runs the next period now (an execution ended: there may be room for
  /// a queued one). Cheap; callable from any thread.
  void poke();

private:
  void run();
  void tick();
  void take_over_expired();

  lease_settings cfg_;
  std::unique_ptr<persistence::store> db_;
  std::mutex mx_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool poked_ = false;
  std::chrono::steady_clock::time_point next_heartbeat_; ///< Keeper thread.
  std::thread thread_;
};

} // namespace hishamos::runtime
