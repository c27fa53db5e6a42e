// A step's prompt as its agent rendered it, made again from what the store
// keeps: the execution's definition and input, the outputs of the steps
// it depends on, and the template at the version its result names. The
// store keeps no rendered prompts (they would double a checkpoint's
// bytes); rendering is deterministic, so this gives the same text.

#include "model/command_template.hpp"
#include "model/references.hpp"
#include "runtime/internal/node_impl.hpp"

namespace hishamos {

namespace {

const nlohmann::json* step_of(const nlohmann::json& def,
                              const std::string& id) {
  if (def.is_object() && def.contains("steps"))
    for (const auto& s : def["steps"])
      if (s.value("id", "") == id)
        return &s;
  return nullptr;
}

outcome<step_prompt> failed(errc code, std::string why) {
  return {{code, std::move(why)}, {}};
}

} // namespace

outcome<step_prompt> node::prompt_of(const std::string& execution_id,
                                     const std::string& step_id) {
  auto rec = impl_->pool->with("find_execution", [&](persistence::store& db) {
    return db.find_execution(execution_id);
  });
  if (!rec)
    return failed(from_store(rec.st).code, rec.st.message);
  if (!rec.value)
    return failed(errc::not_found,
                  "no execution " + execution_id.substr(0, 128));
  auto def = nlohmann::json::parse(rec.value->definition, nullptr, false);
  const auto* step = step_of(def, step_id);
  if (!step)
    return failed(errc::not_found, "execution " + execution_id.substr(0, 128) +
                                       " has no step '" +
                                       step_id.substr(0, 128) + "'");
  auto cps = impl_->pool->with("checkpoints", [&](persistence::store& db) {
    return db.checkpoints(execution_id);
  });
  auto decisions =
      impl_->pool->with("decisions_of", [&](persistence::store& db) {
        return db.decisions_of(execution_id);
      });
  if (!cps || !decisions)
    return failed(errc::unavailable,
                  !cps ? cps.st.message : decisions.st.message);
  std::map<std::string, std::string> outputs;
  for (const auto& cp : cps.value)
    outputs[cp.step_id] = cp.output;
  for (const auto& dep : step->value("depends_on", nlohmann::json::array()))
    if (!outputs.count(dep.get<std::string>()))
      return failed(errc::conflict, "step '" + step_id.substr(0, 128) +
                                        "' waits for step '" +
                                        dep.get<std::string>().substr(0, 128) +
                                        "': its prompt is not made yet");
  auto input = nlohmann::json::parse(rec.value->input, nullptr, false);
  step_prompt out;
  out.step_id = step_id;
  out.params = model::resolve_references(
      step->value("params", nlohmann::json::object()), input, outputs);
  out.template_id = step->value("command_template_id", "");
  if (auto d = decisions.value.find(step_id); d != decisions.value.end())
    out.template_version = d->second.template_version;
  auto versions = template_versions(out.template_id);
  if (!versions)
    return failed(versions.st.code, versions.st.message);
  // The version its result was rendered from; the newest when not known.
  const template_view* tpl = &versions.value.back();
  for (const auto& v : versions.value)
    if (v.version == out.template_version)
      tpl = &v;
  out.template_version = tpl->version;
  auto parsed =
      model::parse_command_template(tpl->definition.dump(), out.template_id);
  if (!parsed)
    return failed(errc::corrupt, model::to_string(parsed.errors()));
  auto text = parsed->render(out.params);
  if (!text)
    return failed(errc::invalid, model::to_string(text.errors()));
  out.prompt = std::move(*text);
  return {{}, std::move(out)};
}

} // namespace hishamos
