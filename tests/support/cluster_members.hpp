#pragma once

// The nodes of a cluster test: ids, ports, hosted agents and the running
// process of each, and the wait for every one of them to see all others.

#include <memory>
#include <string>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "tests/support/node_cluster.hpp"
#include "tests/support/process.hpp"

namespace hishamos::test {

/// The lease of cluster tests' nodes: short, so failover is quick.
constexpr int cluster_lease_ms = 2000;

struct member {
  std::string id;
  int http = free_port();
  int peer = free_port();
  std::vector<std::string> agents;
  std::unique_ptr<background_process> process;
  std::string host = "127.0.0.1"; ///< Where its HTTP port is.
  std::string api_key;            ///< The cluster's admin key.

  /// A client of its API that sends the key.
  [[nodiscard]] std::unique_ptr<httplib::Client> client() const;
  /// GET /api/v1/nodes as this member answers it ({} when it does not).
  [[nodiscard]] nlohmann::json nodes() const;
};

/// Nodes n1, n2, n3 hosting the given agents.
std::vector<member> three(const std::vector<std::vector<std::string>>& agents);

/// Starts `m` as a node of `c` listening for peers; `spec` adds to it.
void start(node_cluster& c, member& m, node_spec spec = {});

/// True when `m` is connected to every member of `all` and sees each one's
/// agents.
bool sees(const member& m, const std::vector<member>& all);

/// Waits until every member sees every other one (fails after 15 s).
void wait_for_mesh(const std::vector<member>& all);

} // namespace hishamos::test
