#pragma once

// Reads tests make of a store beyond one page of the API.

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "persistence/store.hpp"

namespace hishamos::test {

/// Every execution the store holds, newest first, read page by page (a
/// page holds at most 100); or why the store could not be read.
inline persistence::outcome<std::vector<persistence::execution_record>>
read_all_executions(persistence::store& s) {
  persistence::outcome<std::vector<persistence::execution_record>> out;
  model::execution_query q;
  q.limit = 100;
  for (;; ++q.page) {
    auto got = s.list_executions(q);
    if (!got)
      return {got.st};
    out.value.insert(out.value.end(), got.value.items.begin(),
                     got.value.items.end());
    if (got.value.items.size() < static_cast<size_t>(q.limit))
      return out;
  }
}

/// As read_all_executions, for checks over the result: a store that
/// cannot be read throws (the test fails with why), so that no check
/// passes over an empty list that was a failed read.
inline std::vector<persistence::execution_record>
all_executions(persistence::store& s) {
  auto all = read_all_executions(s);
  if (!all)
    throw std::runtime_error("the test could not list the store's "
                             "executions: " +
                             all.st.message);
  return std::move(all.value);
}

/// Checkpoints committed over all executions; 0 when a read fails, so
/// that a wait for more goes on waiting.
inline size_t committed_steps(persistence::store& s) {
  auto all = read_all_executions(s);
  if (!all)
    return 0;
  size_t n = 0;
  for (const auto& x : all.value) {
    auto cps = s.checkpoints(x.id);
    if (!cps)
      return 0;
    n += cps.value.size();
  }
  return n;
}

/// Whether the store holds executions and every one completed; false
/// when it cannot be read, so that a wait goes on waiting.
inline bool all_completed(persistence::store& s) {
  auto all = read_all_executions(s);
  return all && !all.value.empty() &&
         std::all_of(all.value.begin(), all.value.end(), [](const auto& x) {
           return x.state == persistence::execution_state::completed;
         });
}

} // namespace hishamos::test
