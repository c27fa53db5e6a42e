#include "model/command_template.hpp"

#include "model/evaluator.hpp"
#include "model/yaml_reader.hpp"

namespace hishamos::model {

nlohmann::json to_json(const command_template& t) {
  nlohmann::json output{{"format", t.output.format},
                        {"sections", t.output.sections}};
  if (!t.output.schema.is_null())
    output["schema"] = t.output.schema;
  if (t.output.min_length > 0)
    output["min_length"] = t.output.min_length;
  if (t.output.max_length > 0)
    output["max_length"] = t.output.max_length;
  return {{"id", t.id},
          {"name", t.name},
          {"category", t.category},
          {"version", t.version},
          {"params", to_json(t.params)},
          {"prompt", t.prompt},
          {"output", output}};
}

namespace {

std::string trim(std::string s) {
  auto b = s.find_first_not_of(" \t");
  auto e = s.find_last_not_of(" \t");
  return b == std::string::npos ? std::string{} : s.substr(b, e - b + 1);
}

std::string as_text(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

} // namespace

std::vector<std::string> placeholders(const std::string& text) {
  std::vector<std::string> out;
  for (size_t pos = text.find("{{"); pos != std::string::npos;
       pos = text.find("{{", pos + 2)) {
    auto end = text.find("}}", pos + 2);
    if (end == std::string::npos)
      break;
    out.push_back(trim(text.substr(pos + 2, end - pos - 2)));
  }
  return out;
}

result<std::string>
command_template::render(const nlohmann::json& values) const {
  // A number or boolean (e.g. from {{inputs.n}}) fills a string parameter
  // as its text, the way it would read inside a prompt.
  auto coerced = values;
  for (const auto& [name, spec] : params)
    if (spec.type == value_type::string && coerced.contains(name) &&
        (coerced[name].is_number() || coerced[name].is_boolean()))
      coerced[name] = coerced[name].dump();
  auto checked = apply_specs(params, coerced, "parameter", "template " + id);
  if (!checked)
    return checked.errors();
  std::string out;
  size_t pos = 0;
  for (;;) {
    auto open = prompt.find("{{", pos);
    auto close = open == std::string::npos ? open : prompt.find("}}", open + 2);
    if (close == std::string::npos) {
      out += prompt.substr(pos);
      return out;
    }
    out += prompt.substr(pos, open - pos);
    auto name = trim(prompt.substr(open + 2, close - open - 2));
    auto it = checked->find(name);
    if (it == checked->end())
      return problem{"template " + id, 0, "",
                     "prompt uses {{" + name + "}} but no value was given",
                     "declare '" + name + "' with a default or pass it"};
    out += as_text(*it);
    pos = close + 2;
  }
}

result<command_template> parse_command_template(const std::string& text,
                                                const std::string& file) {
  problems errors;
  yaml_reader in{file, errors};
  auto root = in.parse(text);
  if (!root)
    return errors;
  if (!in.expect_map(*root, "a template file"))
    return errors;
  in.reject_unknown_keys(*root,
                         {"id", "name", "category", "version", "params",
                          "prompt", "output", "description", "agent"},
                         "template");
  command_template t;
  t.id = in.required_string(*root, "id");
  t.name = in.string(*root, "name", t.id);
  t.category = in.string(*root, "category", "general");
  t.version = static_cast<int>(in.integer(*root, "version", 1, 1));
  t.params = parse_param_specs(in, (*root)["params"], "params");
  t.prompt = in.required_string(*root, "prompt");
  if (auto out = (*root)["output"]; out && in.expect_map(out, "output")) {
    in.reject_unknown_keys(
        out, {"format", "sections", "schema", "min_length", "max_length"},
        "output");
    t.output.format = in.string(out, "format", "markdown");
    if (t.output.format != "markdown" && t.output.format != "json" &&
        t.output.format != "text")
      in.fail(out["format"], "",
              "unknown output format '" + t.output.format + "'",
              "use markdown, json or text");
    t.output.sections = in.strings(out, "sections");
    t.output.min_length =
        static_cast<std::size_t>(in.integer(out, "min_length", 0, 0));
    t.output.max_length =
        static_cast<std::size_t>(in.integer(out, "max_length", 0, 0));
    if (auto schema = out["schema"]; schema) {
      if (t.output.format != "json")
        in.fail(schema, "",
                "output.schema is set but the format is '" + t.output.format +
                    "'",
                "set output.format: json, or remove the schema");
      t.output.schema = to_json(schema);
      if (auto why = check_schema(t.output.schema); !why.empty())
        in.fail(schema, "", "output.schema " + why,
                "write {required: [key, ...], properties: {key: {type: "
                "string}}} (types: string, number, integer, boolean, "
                "object, array)");
    }
  }
  for (const auto& name : placeholders(t.prompt))
    if (!t.params.count(name))
      in.fail((*root)["prompt"], "",
              "prompt uses {{" + name + "}} which is not a declared parameter",
              "declare it under params: or remove it from the prompt");
  if (!errors.empty())
    return errors;
  return t;
}

} // namespace hishamos::model
