#pragma once

// Reads tests make of a store beyond one page of the API.

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

} // namespace hishamos::test
