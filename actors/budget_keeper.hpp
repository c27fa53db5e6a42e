#pragma once

// Budget keeper: one per node, there only when budgets are configured.
// Judges each execution's question against the budgets (model/budget.hpp)
// with what workflows and departments spent in the current UTC day or
// month: the cluster's spend read from the cost ledger every `refresh`,
// plus this node's own spend since, which it hears at once.
//
// Accepts:
//   model::budget_question (workflow, department, the execution's spend
//       and what was approved for it) -> model::budget_verdict: the
//       strongest action of the budgets reached.
//   (spent_atom, workflow, department, double usd) -> a finished step of
//       this node cost that much.
//   directory_atom -> model::budget_snapshot: every budget with what
//       counts against it now, when the ledger was last read and why the
//       last read failed.
// The ledger is written in batches, so this node's spend is counted on
// top of the ledger for `flush_window` after it happened (spend then may
// count twice for a moment, never zero times); another node's spend shows
// at the next refresh. A ledger that cannot be read keeps the last totals.
// Runs on a thread of its own: the ledger read blocks.
// Persists nothing: the cost ledger is the truth. A crash loses the spend
// of this node not yet in the ledger; executions that ask it then run on
// (logged), and the node does not restart it.

#include <chrono>
#include <functional>
#include <vector>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "model/budget.hpp"
#include "persistence/store.hpp"

namespace hishamos::actors {

struct budget_keeper_settings {
  std::vector<model::budget> budgets;
  /// Reads the cost ledger (through the node's store pool); empty = this
  /// node's own spend only.
  std::function<persistence::outcome<std::vector<persistence::cost_row>>(
      const persistence::cost_query&)>
      read_ledger;
  std::chrono::milliseconds refresh{1000};
  std::chrono::milliseconds flush_window{2000};
};

caf::actor spawn_budget_keeper(caf::actor_system& sys,
                               budget_keeper_settings settings);

} // namespace hishamos::actors
