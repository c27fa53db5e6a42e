#pragma once

// The attempts of an execution as the API shows them: its checkpoints
// (the attempts that succeeded) and the stored attempts that ended without
// a result, each with the node that owned the execution then, and the
// changes of owner. CAF-free.

#include <string>
#include <vector>

#include "hishamos/api_types.hpp"
#include "persistence/records.hpp"

namespace hishamos::runtime {

/// Fills out.attempts (by start time) and out.owners; a step without a
/// result takes its last stored attempt's number, agent, times and error.
/// `owner_now` is the execution's owner as stored.
void add_attempts(execution_status& out, const std::string& owner_now,
                  const std::vector<persistence::checkpoint>& checkpoints,
                  const persistence::attempt_history& history);

} // namespace hishamos::runtime
