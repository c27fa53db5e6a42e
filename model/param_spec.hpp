#pragma once

#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "model/yaml_reader.hpp"

namespace hishamos::model {

/// The declared type of a workflow input or template parameter.
enum class value_type { string, integer, number, boolean, object, array };

/// Name of a value type as written in files ("string", "integer", ...).
[[nodiscard]] const char* to_string(value_type x);

/// One declared input or parameter: `{type: string, required: true}`.
struct param_spec {
  value_type type = value_type::string;
  bool required = false;
  std::optional<nlohmann::json>
      default_value; ///< Used when the value is absent.
};

/// Declared inputs or parameters by name (ordered for stable messages).
using param_specs = std::map<std::string, param_spec>;

/// Parses a mapping of `name: {type, required, default}`.
param_specs parse_param_specs(yaml_reader& in, const YAML::Node& node,
                              const std::string& where);

/// True when `value` has the declared type.
[[nodiscard]] bool has_type(const nlohmann::json& value, value_type type);

/// Converts a command-line string (`--input n=3`) to the declared type.
[[nodiscard]] std::optional<nlohmann::json> from_text(const std::string& text,
                                                      value_type type);

/// Converts a YAML scalar or collection to JSON (scalars stay strings
/// unless they look like numbers or booleans).
[[nodiscard]] nlohmann::json to_json(const YAML::Node& node);

/// Declared parameters as JSON: {name: {type, required, default?}}.
[[nodiscard]] nlohmann::json to_json(const param_specs& specs);

/// Checks `values` against `specs`: missing required keys, wrong types and
/// unknown keys. Returns values with defaults filled in, or the problems.
result<nlohmann::json> apply_specs(const param_specs& specs,
                                   const nlohmann::json& values,
                                   const std::string& what,
                                   const std::string& source);

} // namespace hishamos::model
