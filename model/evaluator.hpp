#pragma once

// The rule evaluator: scores a step's output against its template's
// output_spec. Every result gets a quality score in [0, 1] from it (a
// person may rate it again later through the API).

#include <string>
#include <vector>

#include "model/command_template.hpp"

namespace hishamos::model {

/// What the rules found.
struct evaluation {
  double score = 1.0;              ///< Share of the rules the output passed.
  std::vector<std::string> failed; ///< One line per rule it failed.

  /// True when every rule passed: what routing learns from.
  [[nodiscard]] bool satisfied() const { return failed.empty(); }
};

/// Checks `output` against `spec`: each required markdown section (a
/// `#` heading with its name), the JSON schema subset (the output parses,
/// has the required keys, and properties have their types) and the length
/// bounds are one rule each. No rules: score 1.
[[nodiscard]] evaluation evaluate(const output_spec& spec,
                                  const std::string& output);

/// What is wrong with an output schema ("" if nothing): an object with
/// optional `required` (strings) and `properties` (name -> {type}).
[[nodiscard]] std::string check_schema(const nlohmann::json& schema);

} // namespace hishamos::model
