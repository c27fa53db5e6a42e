#pragma once

// Role: the leases of a cluster's nodes, kept in database time. Only a
// backend that several nodes share has it (PostgreSQL); the embedded store
// is single-node and has none (store::leases() answers nullptr).

#include <cstdint>
#include <string>
#include <vector>

#include "persistence/errors.hpp"
#include "persistence/records.hpp"

namespace hishamos::persistence {

class lease_store {
public:
  virtual ~lease_store() = default;

  /// Renews this node's lease until database time + `lease_ms`.
  virtual status heartbeat(const std::string& node_id,
                           std::int64_t lease_ms) = 0;
  /// Records where peers and operators reach this node (with a fresh
  /// lease of `lease_ms`), so that others can connect to it.
  virtual status register_node(const node_row& x, std::int64_t lease_ms) = 0;
  /// Every node the table knows, alive or not, by id.
  virtual outcome<std::vector<node_row>> nodes() = 0;
  /// Ends this node's lease now, so that others may claim its executions.
  virtual status release_lease(const std::string& node_id) = 0;
};

} // namespace hishamos::persistence
