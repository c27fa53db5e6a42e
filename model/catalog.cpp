#include "model/catalog.hpp"

namespace hishamos::model {

const agent_def* catalog::find_agent(const std::string& id) const {
  auto it = agents.find(id);
  return it == agents.end() ? nullptr : &it->second;
}

const command_template* catalog::find_template(const std::string& id) const {
  auto it = templates.find(id);
  return it == templates.end() ? nullptr : &it->second;
}

std::shared_ptr<const workflow_def>
catalog::find_workflow(const std::string& name) const {
  auto it = workflows.find(name);
  return it == workflows.end() ? nullptr : it->second;
}

std::vector<const agent_def*>
catalog::matching(const agent_selector& selector) const {
  std::vector<const agent_def*> out;
  for (const auto& [id, a] : agents)
    if ((selector.department.empty() || a.department == selector.department) &&
        a.has_capabilities(selector.capabilities))
      out.push_back(&a);
  return out;
}

} // namespace hishamos::model
