#include "model/param_spec.hpp"

namespace hishamos::model {

nlohmann::json to_json(const param_specs& specs) {
  auto out = nlohmann::json::object();
  for (const auto& [name, spec] : specs) {
    nlohmann::json j{{"type", to_string(spec.type)},
                     {"required", spec.required}};
    if (spec.default_value)
      j["default"] = *spec.default_value;
    out[name] = j;
  }
  return out;
}

const char* to_string(value_type x) {
  switch (x) {
  case value_type::string:
    return "string";
  case value_type::integer:
    return "integer";
  case value_type::number:
    return "number";
  case value_type::boolean:
    return "boolean";
  case value_type::object:
    return "object";
  case value_type::array:
    return "array";
  }
  return "?";
}

namespace {

std::optional<value_type> parse_type(const std::string& text) {
  for (auto t : {value_type::string, value_type::integer, value_type::number,
                 value_type::boolean, value_type::object, value_type::array})
    if (text == to_string(t))
      return t;
  return std::nullopt;
}

} // namespace

nlohmann::json to_json(const YAML::Node& node) {
  if (!node || node.IsNull())
    return nullptr;
  if (node.IsSequence()) {
    auto out = nlohmann::json::array();
    for (const auto& x : node)
      out.push_back(to_json(x));
    return out;
  }
  if (node.IsMap()) {
    auto out = nlohmann::json::object();
    for (const auto& kv : node)
      out[kv.first.as<std::string>()] = to_json(kv.second);
    return out;
  }
  // Quoted scalars ('"3"') stay strings; plain ones may be numbers or bools.
  if (node.Tag() == "!")
    return node.Scalar();
  std::int64_t i = 0;
  double d = 0;
  bool b = false;
  if (YAML::convert<std::int64_t>::decode(node, i))
    return i;
  if (YAML::convert<double>::decode(node, d))
    return d;
  if (YAML::convert<bool>::decode(node, b))
    return b;
  return node.Scalar();
}

param_specs parse_param_specs(yaml_reader& in, const YAML::Node& node,
                              const std::string& where) {
  param_specs out;
  if (!node || node.IsNull() || !in.expect_map(node, where))
    return out;
  for (const auto& kv : node) {
    auto name = kv.first.as<std::string>();
    const auto& spec_node = kv.second;
    if (!in.expect_map(spec_node, where + "." + name))
      continue;
    in.reject_unknown_keys(spec_node,
                           {"type", "required", "default", "description"},
                           where + "." + name);
    param_spec spec;
    auto type_text = in.string(spec_node, "type", "string");
    if (auto t = parse_type(type_text))
      spec.type = *t;
    else
      in.fail(spec_node["type"], "",
              "unknown type '" + type_text + "' for " + where + "." + name,
              "use string, integer, number, boolean, object or array");
    spec.required = in.boolean(spec_node, "required", false);
    if (spec_node["default"]) {
      auto value = to_json(spec_node["default"]);
      if (spec.type == value_type::string && !value.is_string())
        value = spec_node["default"].Scalar();
      if (!has_type(value, spec.type))
        in.fail(spec_node["default"], "",
                "default of " + where + "." + name + " is not a " +
                    to_string(spec.type),
                "give a default of the declared type");
      spec.default_value = std::move(value);
    }
    out.emplace(std::move(name), std::move(spec));
  }
  return out;
}

bool has_type(const nlohmann::json& value, value_type type) {
  switch (type) {
  case value_type::string:
    return value.is_string();
  case value_type::integer:
    return value.is_number_integer();
  case value_type::number:
    return value.is_number();
  case value_type::boolean:
    return value.is_boolean();
  case value_type::object:
    return value.is_object();
  case value_type::array:
    return value.is_array();
  }
  return false;
}

std::optional<nlohmann::json> from_text(const std::string& text,
                                        value_type type) {
  if (type == value_type::string)
    return nlohmann::json(text);
  auto parsed = nlohmann::json::parse(text, nullptr, false);
  if (parsed.is_discarded() || !has_type(parsed, type))
    return std::nullopt;
  return parsed;
}

result<nlohmann::json> apply_specs(const param_specs& specs,
                                   const nlohmann::json& values,
                                   const std::string& what,
                                   const std::string& source) {
  problems errors;
  auto out = nlohmann::json::object();
  if (!values.is_null() && !values.is_object())
    return problem{source, 0, "", what + " must be a JSON object",
                   "send {\"name\": value, ...}"};
  for (const auto& [name, spec] : specs) {
    auto it = values.is_object() ? values.find(name) : values.end();
    if (values.is_object() && it != values.end()) {
      if (!has_type(*it, spec.type))
        errors.push_back({source, 0, "",
                          what + " '" + name + "' must be a " +
                              to_string(spec.type) + ", got " + it->dump(),
                          "pass a " + std::string{to_string(spec.type)} +
                              " value for '" + name + "'"});
      out[name] = *it;
    } else if (spec.default_value) {
      out[name] = *spec.default_value;
    } else if (spec.required) {
      errors.push_back({source, 0, "",
                        "missing required " + what + " '" + name + "'",
                        "pass it, e.g. --input " + name + "=..."});
    }
  }
  if (values.is_object())
    for (const auto& [name, value] : values.items())
      if (!specs.count(name)) {
        std::string known;
        for (const auto& [k, v] : specs)
          known += known.empty() ? k : ", " + k;
        errors.push_back({source, 0, "", "unknown " + what + " '" + name + "'",
                          known.empty() ? "remove it: none are declared"
                                        : "use one of: " + known});
      }
  if (!errors.empty())
    return errors;
  return out;
}

} // namespace hishamos::model
