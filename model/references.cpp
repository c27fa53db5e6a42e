#include "model/references.hpp"

#include "model/command_template.hpp"

namespace hishamos::model {

namespace {

reference classify(const std::string& inner) {
  reference r;
  r.text = "{{" + inner + "}}";
  const std::string in = "inputs.", st = "steps.", out = ".output";
  if (inner.rfind(in, 0) == 0 && inner.size() > in.size()) {
    r.kind = reference::input;
    r.name = inner.substr(in.size());
  } else if (inner.rfind(st, 0) == 0 && inner.size() > st.size() + out.size() &&
             inner.compare(inner.size() - out.size(), out.size(), out) == 0) {
    r.kind = reference::step_output;
    r.name = inner.substr(st.size(), inner.size() - st.size() - out.size());
  }
  return r;
}

void collect(const nlohmann::json& value, std::vector<reference>& out) {
  if (value.is_string()) {
    for (const auto& inner : placeholders(value.get<std::string>()))
      out.push_back(classify(inner));
  } else if (value.is_structured()) {
    for (const auto& item : value)
      collect(item, out);
  }
}

std::optional<nlohmann::json>
lookup(const reference& r, const nlohmann::json& inputs,
       const std::map<std::string, std::string>& step_outputs) {
  if (r.kind == reference::input && inputs.contains(r.name))
    return inputs.at(r.name);
  if (r.kind == reference::step_output)
    if (auto it = step_outputs.find(r.name); it != step_outputs.end())
      return nlohmann::json(it->second);
  return std::nullopt;
}

nlohmann::json
resolve_string(const std::string& text, const nlohmann::json& inputs,
               const std::map<std::string, std::string>& outputs) {
  auto names = placeholders(text);
  if (names.size() == 1 && text.find("{{") == 0 &&
      text.rfind("}}") == text.size() - 2)
    if (auto v = lookup(classify(names[0]), inputs, outputs))
      return *v;
  std::string out;
  size_t pos = 0;
  for (auto open = text.find("{{"); open != std::string::npos;
       open = text.find("{{", pos)) {
    auto close = text.find("}}", open + 2);
    if (close == std::string::npos)
      break;
    out += text.substr(pos, open - pos);
    auto inner = placeholders(text.substr(open, close + 2 - open));
    auto v = inner.empty() ? std::nullopt
                           : lookup(classify(inner[0]), inputs, outputs);
    if (v)
      out += v->is_string() ? v->get<std::string>() : v->dump();
    else
      out += text.substr(open, close + 2 - open);
    pos = close + 2;
  }
  return out + text.substr(pos);
}

} // namespace

std::vector<reference> references_in(const nlohmann::json& params) {
  std::vector<reference> out;
  collect(params, out);
  return out;
}

nlohmann::json
resolve_references(const nlohmann::json& params, const nlohmann::json& inputs,
                   const std::map<std::string, std::string>& step_outputs) {
  if (params.is_string())
    return resolve_string(params.get<std::string>(), inputs, step_outputs);
  if (params.is_object()) {
    auto out = nlohmann::json::object();
    for (const auto& [k, v] : params.items())
      out[k] = resolve_references(v, inputs, step_outputs);
    return out;
  }
  if (params.is_array()) {
    auto out = nlohmann::json::array();
    for (const auto& v : params)
      out.push_back(resolve_references(v, inputs, step_outputs));
    return out;
  }
  return params;
}

} // namespace hishamos::model
