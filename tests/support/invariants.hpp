#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "persistence/store.hpp"

namespace hishamos::test {

/// One real start of a step by an agent, from the effect ledger that
/// agents write when HISHAMOS_EFFECT_LOG is set.
struct effect {
  std::string execution_id;
  std::string step_id;
  int attempt = 0;
  std::string node;
  std::string agent;
  std::int64_t epoch = 0;
  std::int64_t at_ms = 0;
};

/// Parses ledger text (one effect a line).
std::vector<effect> parse_ledger(const std::string& text);

/// Checks a finished run against the durability invariants and returns
/// every violation found (empty: all hold):
///  - every execution completed and has one checkpoint per step;
///  - no step ran at a later epoch than the one its checkpoint was
///    committed at (a committed step is never run again by a new owner);
///  - no two nodes ran steps of the same execution at the same epoch.
std::vector<std::string> check_invariants(persistence::store& store,
                                          const std::vector<effect>& ledger,
                                          size_t steps_per_execution);

} // namespace hishamos::test
