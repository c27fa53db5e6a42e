#include "model/yaml_reader.hpp"

#include <cmath>

namespace hishamos::model {

int yaml_reader::line_of(const YAML::Node& node) {
  auto mark = node.Mark();
  return mark.line >= 0 ? mark.line + 1 : 0;
}

std::optional<YAML::Node> yaml_reader::parse(const std::string& text) {
  try {
    return YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    out_.push_back({file_, e.mark.line + 1, "", "syntax error: " + e.msg,
                    "correct the YAML/JSON syntax at this line"});
    return std::nullopt;
  }
}

void yaml_reader::fail(const YAML::Node& node, std::string step,
                       std::string message, std::string fix) {
  out_.push_back({file_, line_of(node), std::move(step), std::move(message),
                  std::move(fix)});
}

void yaml_reader::reject_unknown_keys(const YAML::Node& map,
                                      std::initializer_list<const char*> known,
                                      const std::string& where,
                                      const std::string& step) {
  for (const auto& kv : map) {
    auto key = kv.first.as<std::string>("");
    bool found = false;
    std::string names;
    for (const char* k : known) {
      found = found || key == k;
      names += names.empty() ? k : std::string{", "} + k;
    }
    if (!found)
      fail(kv.first, step, "unknown key '" + key + "' in " + where,
           "remove it or use one of: " + names);
  }
}

bool yaml_reader::expect_map(const YAML::Node& node, const std::string& what,
                             const std::string& step) {
  if (node.IsMap())
    return true;
  fail(node, step, what + " must be a mapping (key: value)",
       "write " + what + " as key: value pairs");
  return false;
}

std::string yaml_reader::string(const YAML::Node& map, const char* key,
                                const std::string& fallback,
                                const std::string& step) {
  auto node = map[key];
  if (!node || node.IsNull())
    return fallback;
  if (!node.IsScalar()) {
    fail(node, step, std::string{"'"} + key + "' must be a string",
         std::string{"write "} + key + ": some text");
    return fallback;
  }
  return node.Scalar();
}

std::string yaml_reader::required_string(const YAML::Node& map, const char* key,
                                         const std::string& step) {
  auto node = map[key];
  if (!node || node.IsNull() || (node.IsScalar() && node.Scalar().empty())) {
    fail(map, step, std::string{"missing required key '"} + key + "'",
         std::string{"add "} + key + ": ...");
    return {};
  }
  return string(map, key, "", step);
}

std::int64_t yaml_reader::integer(const YAML::Node& map, const char* key,
                                  std::int64_t fallback, std::int64_t min,
                                  const std::string& step) {
  auto node = map[key];
  if (!node || node.IsNull())
    return fallback;
  std::int64_t value = 0;
  if (!node.IsScalar() || !YAML::convert<std::int64_t>::decode(node, value) ||
      value < min) {
    fail(node, step,
         std::string{"'"} + key +
             "' must be an integer >= " + std::to_string(min) + ", got '" +
             (node.IsScalar() ? node.Scalar() : "a collection") + "'",
         std::string{"write e.g. "} + key + ": " +
             std::to_string(std::max<std::int64_t>(min, 1)));
    return fallback;
  }
  return value;
}

double yaml_reader::number(const YAML::Node& map, const char* key,
                           double fallback, double min, double max,
                           const std::string& step) {
  auto node = map[key];
  if (!node || node.IsNull())
    return fallback;
  double value = 0;
  if (!node.IsScalar() || !YAML::convert<double>::decode(node, value) ||
      std::isnan(value) || value < min || value > max) {
    fail(node, step,
         std::string{"'"} + key + "' must be a number between " +
             std::to_string(min) + " and " + std::to_string(max),
         std::string{"write e.g. "} + key + ": " + std::to_string(min));
    return fallback;
  }
  return value;
}

bool yaml_reader::boolean(const YAML::Node& map, const char* key, bool fallback,
                          const std::string& step) {
  auto node = map[key];
  if (!node || node.IsNull())
    return fallback;
  bool value = false;
  if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value)) {
    fail(node, step, std::string{"'"} + key + "' must be true or false",
         std::string{"write "} + key + ": true");
    return fallback;
  }
  return value;
}

std::vector<std::string> yaml_reader::strings(const YAML::Node& map,
                                              const char* key,
                                              const std::string& step) {
  std::vector<std::string> out;
  auto node = map[key];
  if (!node || node.IsNull())
    return out;
  if (!node.IsSequence()) {
    fail(node, step, std::string{"'"} + key + "' must be a list",
         std::string{"write "} + key + ": [a, b]");
    return out;
  }
  for (const auto& item : node) {
    if (!item.IsScalar()) {
      fail(item, step, std::string{"items of '"} + key + "' must be strings",
           "write each item as plain text");
      continue;
    }
    out.push_back(item.Scalar());
  }
  return out;
}

} // namespace hishamos::model
