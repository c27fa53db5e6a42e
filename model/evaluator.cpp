#include "model/evaluator.hpp"

#include <set>
#include <sstream>

namespace hishamos::model {

namespace {

const std::set<std::string> json_types{"string",  "number", "integer",
                                       "boolean", "object", "array"};

bool has_type(const nlohmann::json& v, const std::string& type) {
  if (type == "string")
    return v.is_string();
  if (type == "number")
    return v.is_number();
  if (type == "integer")
    return v.is_number_integer();
  if (type == "boolean")
    return v.is_boolean();
  if (type == "object")
    return v.is_object();
  return v.is_array();
}

// The headings of a markdown text, without their #s.
std::set<std::string> headings(const std::string& text) {
  std::set<std::string> out;
  std::istringstream in{text};
  for (std::string line; std::getline(in, line);) {
    auto hashes = line.find_first_not_of('#');
    if (hashes == 0 || hashes == std::string::npos)
      continue;
    auto title = line.substr(line.find_first_not_of(" \t", hashes));
    while (!title.empty() && (title.back() == ' ' || title.back() == '\r'))
      title.pop_back();
    out.insert(title);
  }
  return out;
}

// The schema rules an output fails (one line each).
std::vector<std::string> schema_failures(const nlohmann::json& schema,
                                         const std::string& output) {
  auto doc = nlohmann::json::parse(output, nullptr, false);
  if (doc.is_discarded())
    return {"the output is not JSON"};
  std::vector<std::string> out;
  if (!schema.is_object())
    return out;
  if (auto it = schema.find("required"); it != schema.end())
    for (const auto& key : *it)
      if (!doc.is_object() || !doc.contains(key.get<std::string>()))
        out.push_back("the JSON output lacks required key '" +
                      key.get<std::string>() + "'");
  if (auto it = schema.find("properties"); it != schema.end())
    for (const auto& [key, prop] : it->items())
      if (doc.is_object() && doc.contains(key) &&
          !has_type(doc[key], prop.value("type", "string")))
        out.push_back("key '" + key + "' is not of type " +
                      prop.value("type", "string"));
  return out;
}

std::vector<std::string> length_failures(const output_spec& spec,
                                         const std::string& output) {
  auto n = std::to_string(output.size());
  if (output.size() < spec.min_length)
    return {"the output has " + n + " characters, fewer than " +
            std::to_string(spec.min_length)};
  if (spec.max_length > 0 && output.size() > spec.max_length)
    return {"the output has " + n + " characters, more than " +
            std::to_string(spec.max_length)};
  return {};
}

} // namespace

evaluation evaluate(const output_spec& spec, const std::string& output) {
  evaluation e;
  int rules = 0, passed = 0;
  auto rule = [&](const std::vector<std::string>& failures) {
    ++rules;
    passed += failures.empty();
    e.failed.insert(e.failed.end(), failures.begin(), failures.end());
  };
  if (spec.format == "markdown" && !spec.sections.empty()) {
    auto found = headings(output);
    for (const auto& s : spec.sections)
      rule(found.count(s)
               ? std::vector<std::string>{}
               : std::vector<std::string>{"section '" + s + "' is missing"});
  }
  if (spec.format == "json")
    rule(schema_failures(spec.schema, output));
  if (spec.min_length > 0 || spec.max_length > 0)
    rule(length_failures(spec, output));
  if (rules > 0)
    e.score = static_cast<double>(passed) / rules;
  return e;
}

std::string check_schema(const nlohmann::json& schema) {
  if (!schema.is_object())
    return "must be a mapping";
  for (const auto& [key, value] : schema.items())
    if (key != "required" && key != "properties" && key != "type")
      return "has unknown key '" + key + "'";
  if (schema.contains("required")) {
    if (!schema["required"].is_array())
      return "required must be a list of keys";
    for (const auto& k : schema["required"])
      if (!k.is_string())
        return "required must be a list of keys";
  }
  if (schema.contains("properties")) {
    if (!schema["properties"].is_object())
      return "properties must be a mapping";
    for (const auto& [key, prop] : schema["properties"].items())
      if (!prop.is_object() || !prop.contains("type") ||
          !prop["type"].is_string() ||
          !json_types.count(prop["type"].get<std::string>()))
        return "property '" + key + "' needs a type";
  }
  return {};
}

} // namespace hishamos::model
