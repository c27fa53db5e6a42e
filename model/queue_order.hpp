#pragma once

// The order in which waiting steps get an agent (and their locks). Aging
// lifts every waiting step at the same rate, so the order of
// priority + aging x waited never changes while they wait: a step's place
// is fixed at arrival as priority - aging x arrival time. Higher goes
// first; ties keep arrival order. Pure, so the ordering is tested alone.

namespace hishamos::model {

/// A waiting step's fixed sort key: higher is served first.
[[nodiscard]] constexpr double
queue_key(double priority, double aging_per_second, double arrival_seconds) {
  return priority - aging_per_second * arrival_seconds;
}

/// Its effective priority after waiting `waited_seconds`.
[[nodiscard]] constexpr double effective_priority(double priority,
                                                  double aging_per_second,
                                                  double waited_seconds) {
  return priority + aging_per_second * waited_seconds;
}

} // namespace hishamos::model
