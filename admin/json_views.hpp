#pragma once

// The JSON the admin API shows for each thing the embedder API answers:
// written once, here, for every route (and for tests that check the same
// shapes).

#include <nlohmann/json.hpp>

#include "hishamos/api_types.hpp"
#include "model/reports.hpp"
#include "model/snapshots.hpp"
#include "model/workflow.hpp"

namespace hishamos::admin {

using nlohmann::json;

/// An execution; with its input, output and steps when `with_steps`.
[[nodiscard]] json to_json(const execution_status& x, bool with_steps);
/// One step of an execution, with its result_id once completed.
[[nodiscard]] json to_json(const execution_status& x, const step_status& s);
[[nodiscard]] json to_json(const model::cost_row& r);
[[nodiscard]] json to_json(const model::daily_point& d);
/// A workflow's definition summary: name, description, department,
/// version, step count and inputs.
[[nodiscard]] json summary_json(const model::workflow_def& wf);
/// A workflow's stored row and statistics, over `summary` (its definition's
/// summary when this node knows it, else {}).
[[nodiscard]] json to_json(const model::workflow_summary& w, json summary);
[[nodiscard]] json to_json(const cluster_view& c);
[[nodiscard]] json to_json(const model::agent_directory_entry& a);
[[nodiscard]] json to_json(const std::vector<model::agent_directory_entry>& xs);
[[nodiscard]] json to_json(const std::vector<model::peer_entry>& xs);
[[nodiscard]] json to_json(const model::lock_table_snapshot& t);
[[nodiscard]] json to_json(const std::vector<model::quality_entry>& xs);
[[nodiscard]] json to_json(const model::budget_snapshot& b);
[[nodiscard]] json to_json(const model::gateway_stats& s);
[[nodiscard]] json to_json(const submitted& s);
[[nodiscard]] json to_json(const result_view& r);
[[nodiscard]] json to_json(const workflow_info& w);
[[nodiscard]] json to_json(const workflow_version_info& v);
[[nodiscard]] json to_json(const agent_view& a);
[[nodiscard]] json to_json(const template_view& t);
[[nodiscard]] json to_json(const execution_event& e);
/// A problem of an input or a definition: where it is, what, and the fix.
[[nodiscard]] json to_json(const model::problem& p);
[[nodiscard]] json to_json(const model::problems& ps);

} // namespace hishamos::admin
