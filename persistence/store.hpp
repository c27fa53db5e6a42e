#pragma once

// One connection to the store, offering every role its backend has. The
// roles are interfaces of their own (executions and checkpoints, leases,
// append-only records, reports, workflows, schema, identities), each
// implemented by a backend in files of the same name (pg/executions.cpp, ...);
// open one with persistence/open_store.hpp.

#include "persistence/auth_store.hpp"
#include "persistence/execution_store.hpp"
#include "persistence/lease_store.hpp"
#include "persistence/record_store.hpp"
#include "persistence/report_store.hpp"
#include "persistence/schema_store.hpp"
#include "persistence/workflow_store.hpp"

namespace hishamos::persistence {

/// Durable storage of executions and their checkpoints. One instance is one
/// connection: not thread-safe; blocking; used from detached actors or
/// threads of their own only.
class store : public schema_store,
              public execution_store,
              public record_store,
              public report_store,
              public workflow_store,
              public auth_store {
public:
  ~store() override = default;
  /// The cluster-lease role, or nullptr when the backend is single-node
  /// (the embedded store): such a node has no lease to keep.
  virtual lease_store* leases() { return nullptr; }
};

} // namespace hishamos::persistence
