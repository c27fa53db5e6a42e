#pragma once

// A ledger line's own fields as one PostgreSQL array per column, for the
// group INSERTs that write lines: rows of task_results (pg/records.cpp)
// and lines kept with their checkpoints (pg/group_commit.cpp). What a line
// shares with a checkpoint's row (execution, step, agent, cost, latency)
// each statement binds itself.

#include <array>
#include <string>
#include <vector>

#include "persistence/pg/arrays.hpp"
#include "persistence/records.hpp"

namespace hishamos::persistence::pg {

class line_columns {
public:
  void add(const task_result_record& x);
  /// A row without a line: NULL in every column.
  void add_none();
  /// Appends the twelve arrays to `params`, in this order: created_at
  /// (ms), quality score, tokens in, tokens out, decision, template
  /// version, tokens cached, cost avoided, provider, model, workflow,
  /// department. The builder is spent.
  void append_to(std::vector<std::string>& params) &&;

private:
  /// Every column, in the order append_to gives them.
  std::array<array_literal*, 12> columns();

  array_literal created_at_ms_, quality_score_, tokens_in_, tokens_out_,
      decision_, template_version_, tokens_cached_, cost_avoided_, provider_,
      model_, workflow_, department_;
};

} // namespace hishamos::persistence::pg
