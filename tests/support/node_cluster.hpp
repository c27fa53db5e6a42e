#pragma once

// Real `hishamos node` processes sharing one store, with a catalog made for
// crash tests and an effect ledger to check them against.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "persistence/effect_ledger.hpp"
#include "persistence/store.hpp"
#include "tests/support/isolated_network.hpp"
#include "tests/support/process.hpp"
#include "tests/support/store_reads.hpp"
#include "tests/support/temp_dir.hpp"

namespace hishamos::test {

/// How to start one node beyond its id and admin port.
struct node_spec {
  int lease_ms = 10000;
  int peer_port = 0;               ///< node.listen port; 0 = no cluster.
  std::vector<std::string> agents; ///< Hosted agents; empty = all.
  /// TLS between nodes: certificate `<tls_dir>/<id>.pem`, key
  /// `<tls_dir>/<id>.key`, CA `<tls_dir>/ca.pem`; "" = plain TCP.
  std::string tls_dir;
  int max_executions = 0; ///< node.max_executions; 0 = no limit.
  /// Address node.listen binds (HTTP stays on 127.0.0.1): an
  /// isolated_network's host address lets a node inside it reach this one.
  std::string peer_host = "127.0.0.1";
  /// Runs the node inside this network: it binds the network's inner
  /// address (peers and HTTP) and reaches the store and the ledger at the
  /// network's host address.
  const isolated_network* inside = nullptr;
  /// More environment for the process (e.g. libfaketime's).
  std::map<std::string, std::string> env;
  /// The `hishamos` binary to run; "" = this build's (the upgrade test
  /// runs the previous release's).
  std::string binary;
  /// A command the node runs under (e.g. fiu-run's fault injection).
  std::vector<std::string> wrapper;
  /// Where its output goes; "" = `<dir>/<id>.log` (see log()).
  std::string log_file;
  /// More node config, as top-level YAML lines (e.g. `providers: ...`).
  std::string extra_config;
};

/// The catalog: agent `worker` (capacity 32) and agents a1, a2, a3
/// (capacity 8), all answering after `latency_ms`; workflows `Diamond`
/// (a -> b, c -> d on worker, 4 steps), `Relay` (a1 -> a2 -> a3), `Pair`
/// (a1 -> a2), and `LockedA1` / `LockedA2` / `LockedA3` (one step `l` on
/// a1 / a2 / a3 holding the exclusive lock repo:main).
struct node_cluster {
  temp_dir dir;
  std::string store_url;
  /// The ledger's database: the store's own on PostgreSQL (a table of its
  /// own), a file of its own beside an embedded store.
  std::string ledger_url;
  /// An admin's API key for the nodes' API (made in the store at once).
  std::string api_key;

  node_cluster(std::string url, int latency_ms, std::string ledger = "");

  /// Starts `hishamos node` and waits until it answers /health.
  std::unique_ptr<background_process> start(const std::string& id, int port,
                                            node_spec spec = {});
  /// Starts `count` executions of `workflow` through the node's API.
  void submit(int port, int count, const std::string& workflow = "Diamond",
              const std::string& host = "127.0.0.1");
  /// Every effect the nodes recorded so far.
  std::vector<persistence::effect> effects() const;
  std::unique_ptr<persistence::store> open_store() const;
  /// The log of node `id`.
  std::string log(const std::string& id) const;
};

std::vector<persistence::execution_record> unfinished(persistence::store& s);

/// Kills `victim` with SIGKILL once `min_steps` checkpoints are committed
/// and returns the executions it left unfinished (at least one).
std::vector<persistence::execution_record>
kill_mid_run(background_process& victim, persistence::store& s,
             size_t min_steps);

/// Fails the test for every invariant the run broke.
void check_ledger(const node_cluster& c, persistence::store& s,
                  size_t steps_per_execution);

/// A sample of a Prometheus series from a node's /metrics (-1: no answer).
double metric_value(int port, const std::string& series,
                    const std::string& api_key,
                    const std::string& host = "127.0.0.1");

} // namespace hishamos::test
