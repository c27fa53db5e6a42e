#include "model/validation.hpp"

#include <map>

#include "model/dag.hpp"
#include "model/references.hpp"

namespace hishamos::model {

namespace {

std::string names_of(const auto& map) {
  std::string out;
  for (const auto& [k, v] : map)
    out += out.empty() ? k : ", " + k;
  return out;
}

void check_unique_ids(const workflow_def& wf, problems& out) {
  std::map<std::string, int> first_line;
  for (const auto& s : wf.steps) {
    auto [it, fresh] = first_line.emplace(s.id, s.line);
    if (!fresh)
      out.push_back({wf.file, s.line, s.id,
                     "duplicate step id (first used at line " +
                         std::to_string(it->second) + ")",
                     "give each step a unique id"});
  }
}

void check_agent(const workflow_def& wf, const step_def& s, const catalog& cat,
                 problems& out) {
  if (!s.agent_id.empty() && !cat.find_agent(s.agent_id))
    out.push_back({wf.file, s.line, s.id, "unknown agent '" + s.agent_id + "'",
                   "use one of: " + names_of(cat.agents)});
  if (s.agent && cat.matching(*s.agent).empty()) {
    std::string caps;
    for (const auto& c : s.agent->capabilities)
      caps += caps.empty() ? c : ", " + c;
    out.push_back({wf.file, s.line, s.id,
                   "no agent matches department '" + s.agent->department +
                       "' with capabilities [" + caps + "]",
                   "add such an agent to the catalog or relax the selector"});
  }
}

// A judge (of a consensus, or an evaluator) names an agent and a template
// of the catalog.
void check_judge(const workflow_def& wf, const step_def& s, const catalog& cat,
                 const std::string& what, const std::string& agent,
                 const std::string& template_id, problems& out) {
  if (!cat.find_agent(agent))
    out.push_back({wf.file, s.line, s.id,
                   "unknown " + what + " agent '" + agent + "'",
                   "use one of: " + names_of(cat.agents)});
  if (!cat.find_template(template_id))
    out.push_back({wf.file, s.line, s.id,
                   "unknown " + what + " template '" + template_id + "'",
                   "use one of: " + names_of(cat.templates)});
}

void check_judges(const workflow_def& wf, const step_def& s, const catalog& cat,
                  problems& out) {
  const auto& c = s.consensus;
  if (c.agents > 0 && s.agent &&
      static_cast<int>(cat.matching(*s.agent).size()) < c.agents)
    out.push_back({wf.file, s.line, s.id,
                   "consensus needs " + std::to_string(c.agents) +
                       " distinct agents but only " +
                       std::to_string(cat.matching(*s.agent).size()) +
                       " match the selector",
                   "lower consensus.agents or add matching agents"});
  if (c.agents > 0 && c.strategy == "judge")
    check_judge(wf, s, cat, "judge", c.judge_agent, c.judge_template, out);
  if (!s.evaluator.agent.empty())
    check_judge(wf, s, cat, "evaluator judge", s.evaluator.agent,
                s.evaluator.template_id, out);
}

void check_params(const workflow_def& wf, const step_def& s,
                  const command_template& t, problems& out) {
  for (const auto& [name, spec] : t.params)
    if (spec.required && !spec.default_value && !s.params.contains(name))
      out.push_back(
          {wf.file, s.line, s.id,
           "template '" + t.id + "' requires parameter '" + name + "'",
           "add it under params:"});
  for (const auto& [name, value] : s.params.items()) {
    auto it = t.params.find(name);
    if (it == t.params.end()) {
      out.push_back({wf.file, s.line, s.id,
                     "template '" + t.id + "' has no parameter '" + name + "'",
                     "use one of: " + names_of(t.params)});
    } else if (references_in(value).empty() &&
               !has_type(value, it->second.type)) {
      out.push_back({wf.file, s.line, s.id,
                     "parameter '" + name + "' must be a " +
                         to_string(it->second.type) + ", got " + value.dump(),
                     "write a value of that type"});
    }
  }
}

void check_references(const workflow_def& wf, const dag* graph, int index,
                      problems& out) {
  const auto& s = wf.steps[index];
  for (const auto& r : references_in(s.params)) {
    if (r.kind == reference::invalid) {
      out.push_back({wf.file, s.line, s.id, "unknown reference " + r.text,
                     "write {{inputs.NAME}} or {{steps.ID.output}}"});
    } else if (r.kind == reference::input && !wf.inputs.count(r.name)) {
      out.push_back(
          {wf.file, s.line, s.id,
           r.text + " names an undeclared input '" + r.name + "'",
           "declare it under inputs: or use one of: " + names_of(wf.inputs)});
    } else if (r.kind == reference::step_output) {
      int target = wf.index_of(r.name);
      if (target < 0)
        out.push_back({wf.file, s.line, s.id,
                       r.text + " names unknown step '" + r.name + "'",
                       "use the id of an upstream step"});
      else if (graph && !graph->is_upstream(target, index))
        out.push_back({wf.file, s.line, s.id,
                       r.text + " uses step '" + r.name +
                           "' which is not upstream of this step",
                       "add '" + r.name + "' to depends_on"});
    }
  }
}

} // namespace

problems validate(const workflow_def& wf, const catalog& cat) {
  problems out;
  if (wf.steps.empty()) {
    out.push_back({wf.file, 0, "", "workflow '" + wf.name + "' has no steps",
                   "add at least one step under steps:"});
    return out;
  }
  check_unique_ids(wf, out);
  auto graph = dag::build(wf);
  if (!graph)
    out.insert(out.end(), graph.errors().begin(), graph.errors().end());
  for (size_t i = 0; i < wf.steps.size(); ++i) {
    const auto& s = wf.steps[i];
    check_agent(wf, s, cat, out);
    check_judges(wf, s, cat, out);
    if (const auto* t = cat.find_template(s.command_template_id))
      check_params(wf, s, *t, out);
    else
      out.push_back({wf.file, s.line, s.id,
                     "unknown command template '" + s.command_template_id + "'",
                     "use one of: " + names_of(cat.templates)});
    check_references(wf, graph ? &graph.value() : nullptr, static_cast<int>(i),
                     out);
  }
  return out;
}

result<nlohmann::json> validate_inputs(const workflow_def& wf,
                                       const nlohmann::json& inputs) {
  return apply_specs(wf.inputs, inputs, "input",
                     wf.file.empty() ? wf.name : wf.file);
}

} // namespace hishamos::model
