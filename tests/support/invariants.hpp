#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "persistence/effect_ledger.hpp"
#include "persistence/store.hpp"

namespace hishamos::test {

/// Checks a finished run against the durability invariants and returns
/// every violation found (empty: all hold):
///  - every execution completed and has one checkpoint per step, each
///    intact, with one line in the cost ledger of the same cost;
///  - no step ran at a later epoch than the one its checkpoint was
///    committed at (a committed step is never run again by a new owner);
///  - no two nodes ran steps of the same execution at the same epoch.
std::vector<std::string>
check_invariants(persistence::store& store,
                 const std::vector<persistence::effect>& ledger,
                 size_t steps_per_execution);

} // namespace hishamos::test
