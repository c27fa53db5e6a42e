#pragma once

// What both backends do after an INSERT that skipped conflicts: say, for
// each record asked for, whether it was created, or which stored execution
// (same id, else same idempotency key) it found instead.

#include <set>
#include <string>
#include <vector>

#include "persistence/records.hpp"

namespace hishamos::persistence {

[[nodiscard]] std::vector<creation>
match_creations(const std::vector<execution_record>& asked,
                const std::set<std::string>& inserted_ids,
                const std::vector<execution_record>& stored);

} // namespace hishamos::persistence
