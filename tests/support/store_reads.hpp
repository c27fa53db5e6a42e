#pragma once

// Reads tests make of a store beyond one page of the API.

#include <algorithm>
#include <vector>

#include "persistence/store.hpp"

namespace hishamos::test {

/// Every execution the store holds, newest first, read page by page (a
/// page holds at most 100). Empty when the store cannot be read.
inline std::vector<persistence::execution_record>
all_executions(persistence::store& s) {
  std::vector<persistence::execution_record> out;
  model::execution_query q;
  q.limit = 100;
  for (;; ++q.page) {
    auto got = s.list_executions(q);
    if (!got)
      return {};
    out.insert(out.end(), got.value.items.begin(), got.value.items.end());
    if (got.value.items.size() < static_cast<size_t>(q.limit))
      return out;
  }
}

/// Checkpoints committed over all executions.
inline size_t committed_steps(persistence::store& s) {
  size_t n = 0;
  for (const auto& x : all_executions(s))
    n += s.checkpoints(x.id).value.size();
  return n;
}

/// Whether every execution the store holds completed.
inline bool all_completed(persistence::store& s) {
  auto all = all_executions(s);
  return std::all_of(all.begin(), all.end(), [](const auto& x) {
    return x.state == persistence::execution_state::completed;
  });
}

} // namespace hishamos::test
