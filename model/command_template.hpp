#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/param_spec.hpp"
#include "model/result.hpp"

namespace hishamos::model {

/// What a template's output should look like (model/evaluator.hpp checks
/// it and scores every result).
struct output_spec {
  std::string format = "markdown";   ///< markdown | json | text
  std::vector<std::string> sections; ///< Required markdown sections.
  /// For json: a JSON Schema subset (`required`, `properties.<k>.type`);
  /// null = any JSON object or value.
  nlohmann::json schema;
  std::size_t min_length = 0; ///< Characters; 0 = no bound.
  std::size_t max_length = 0; ///< Characters; 0 = no bound.
};

/// A parameterised prompt with a parameter schema.
struct command_template {
  std::string id;       ///< e.g. cmd_design_architecture.
  std::string name;     ///< Human-readable name.
  std::string category; ///< Learned quality is kept per (agent, category).
  int version = 1;
  param_specs params; ///< Declared parameters.
  std::string prompt; ///< Text with {{param}} placeholders.
  output_spec output;

  /// Renders the prompt: checks `values` against the schema (missing
  /// required, wrong type, unknown), fills defaults and substitutes
  /// {{name}}. Strings are inserted as is, other values as JSON.
  [[nodiscard]] result<std::string> render(const nlohmann::json& values) const;
};

/// Parses one template file (YAML or JSON).
result<command_template> parse_command_template(const std::string& text,
                                                const std::string& file);

/// A template as JSON: id, name, category, version, params, prompt, output.
[[nodiscard]] nlohmann::json to_json(const command_template& t);

/// Names of the {{placeholders}} in a text, in order of appearance.
[[nodiscard]] std::vector<std::string> placeholders(const std::string& text);

} // namespace hishamos::model
