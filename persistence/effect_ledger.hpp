#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "persistence/store.hpp"

namespace hishamos::persistence {

/// One real start of a step by an agent: the side effect that durability
/// promises not to repeat once the step's checkpoint is committed.
struct effect {
  std::string execution_id;
  std::string step_id;
  int attempt = 0;
  std::string node;
  std::string agent;
  std::int64_t epoch = 0;
  std::int64_t at_ms = 0;
};

/// The effect ledger that tests check the durability invariants with: a
/// table of its own (`effect_ledger`, created on first use) in a
/// PostgreSQL or SQLite database that may differ from the store's, so that
/// a test can crash the store's server and keep the ledger. One instance
/// is one connection: blocking, not thread-safe.
class effect_ledger {
public:
  virtual ~effect_ledger() = default;
  /// Commits one effect before the agent performs it.
  virtual status record(const effect& x) = 0;
  /// Every effect recorded, oldest first.
  virtual outcome<std::vector<effect>> all() = 0;
};

/// Opens the ledger at a `postgresql://` or `sqlite:` URL, creating its
/// table if needed.
outcome<std::unique_ptr<effect_ledger>>
open_effect_ledger(const std::string& url);

} // namespace hishamos::persistence
