#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "model/agent.hpp"
#include "model/command_template.hpp"
#include "model/workflow.hpp"

namespace hishamos::model {

/// The agents, command templates and workflows a node knows. Built once
/// from files and then shared read-only (`std::shared_ptr<const catalog>`).
struct catalog {
  std::map<std::string, agent_def> agents;           ///< By id.
  std::map<std::string, command_template> templates; ///< By id.
  std::map<std::string, std::shared_ptr<const workflow_def>>
      workflows; ///< By name.

  [[nodiscard]] const agent_def* find_agent(const std::string& id) const;
  [[nodiscard]] const command_template*
  find_template(const std::string& id) const;
  [[nodiscard]] std::shared_ptr<const workflow_def>
  find_workflow(const std::string& name) const;
  /// Agents that match a selector, in id order.
  [[nodiscard]] std::vector<const agent_def*>
  matching(const agent_selector& selector) const;
};

} // namespace hishamos::model
