#pragma once

// Result conflicts: a step run on several distinct agents, one result
// picked. Pure: the dispatcher runs the candidates (and the judge).

#include <string>
#include <vector>

namespace hishamos::model {

/// One agent's answer to a consensus step.
struct candidate_result {
  std::string agent_id;
  std::string output;
  double quality = -1; ///< The evaluator's score; -1 = none.
};

/// The winner's index by `strategy`: `majority` (the output most agents
/// gave, whitespace aside; ties go to the better score, then the earlier
/// answer) or `best_quality` (the best score, then the earlier). -1 when
/// there are no results.
[[nodiscard]] int pick_result(const std::string& strategy,
                              const std::vector<candidate_result>& results);

/// The candidate a judge's answer names: its first whole number, counted
/// from 1. -1 when it names none of the `count` candidates.
[[nodiscard]] int judged_choice(const std::string& answer, size_t count);

/// The score a judge evaluator's answer gives: its first number, in [0, 1],
/// or a percentage ("80%"). -1 when it gives none.
[[nodiscard]] double judged_score(const std::string& answer);

} // namespace hishamos::model
