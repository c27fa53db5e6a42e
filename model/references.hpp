#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hishamos::model {

/// A `{{inputs.x}}` or `{{steps.y.output}}` reference inside a step's params.
struct reference {
  enum kind_t { input, step_output, invalid } kind = invalid;
  std::string name; ///< Input name or step id.
  std::string text; ///< The reference as written, for messages.
};

/// Every reference in `params`, searched through nested values.
[[nodiscard]] std::vector<reference>
references_in(const nlohmann::json& params);

/// Replaces references with values. A string that is exactly one reference
/// takes the referenced value as is; references inside longer text are
/// inserted as text. Unknown references are left untouched (validation
/// rejects them before an execution starts).
[[nodiscard]] nlohmann::json
resolve_references(const nlohmann::json& params, const nlohmann::json& inputs,
                   const std::map<std::string, std::string>& step_outputs);

} // namespace hishamos::model
