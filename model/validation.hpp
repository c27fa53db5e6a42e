#pragma once

#include <nlohmann/json.hpp>

#include "model/catalog.hpp"
#include "model/result.hpp"
#include "model/workflow.hpp"

namespace hishamos::model {

/// Checks a parsed workflow against a catalog: at least one step, unique
/// step ids, known `depends_on` targets, no cycle, known agents (or a
/// selector some agent matches) and templates, params that fit the
/// template's schema, and references only to declared inputs and upstream
/// steps. Returns every problem found, one per issue.
[[nodiscard]] problems validate(const workflow_def& wf, const catalog& cat);

/// Checks run-time inputs against the workflow's declared inputs and fills
/// defaults: missing required inputs, wrong types and unknown names.
result<nlohmann::json> validate_inputs(const workflow_def& wf,
                                       const nlohmann::json& inputs);

} // namespace hishamos::model
