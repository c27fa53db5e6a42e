#include "model/workflow.hpp"

#include <algorithm>
#include <set>

#include "model/yaml_reader.hpp"

namespace hishamos::model {

std::int64_t retry_policy::delay_before(int next_attempt) const {
  auto delay = backoff_ms;
  for (int i = 2; i < next_attempt && delay < max_backoff_ms; ++i)
    delay *= 2;
  return std::min(delay, max_backoff_ms);
}

int workflow_def::index_of(const std::string& id) const {
  for (size_t i = 0; i < steps.size(); ++i)
    if (steps[i].id == id)
      return static_cast<int>(i);
  return -1;
}

namespace {

void parse_selector(yaml_reader& in, const YAML::Node& node, step_def& s) {
  if (!in.expect_map(node, "agent", s.id))
    return;
  in.reject_unknown_keys(node, {"department", "capabilities"}, "agent", s.id);
  s.agent = agent_selector{in.string(node, "department", "", s.id),
                           in.strings(node, "capabilities", s.id)};
}

void parse_retry(yaml_reader& in, const YAML::Node& node, step_def& s) {
  if (!in.expect_map(node, "retry", s.id))
    return;
  in.reject_unknown_keys(node, {"max_attempts", "backoff_ms", "max_backoff_ms"},
                         "retry", s.id);
  s.retry.max_attempts =
      static_cast<int>(in.integer(node, "max_attempts", 1, 1, s.id));
  s.retry.backoff_ms = in.integer(node, "backoff_ms", 500, 0, s.id);
  s.retry.max_backoff_ms = in.integer(node, "max_backoff_ms", 30000, 0, s.id);
}

void parse_locks(yaml_reader& in, const YAML::Node& node, step_def& s) {
  if (!node.IsSequence())
    return in.fail(node, s.id, "locks must be a list",
                   "write locks: [{resource: repo:main, mode: exclusive}]");
  std::set<std::string> seen;
  for (const auto& l : node) {
    if (!in.expect_map(l, "a lock", s.id))
      continue;
    in.reject_unknown_keys(l, {"resource", "mode"}, "lock", s.id);
    lock_request r{in.required_string(l, "resource", s.id)};
    auto mode = in.string(l, "mode", "exclusive", s.id);
    if (mode != "exclusive" && mode != "shared")
      in.fail(l["mode"], s.id, "unknown lock mode '" + mode + "'",
              "use exclusive or shared");
    r.exclusive = mode == "exclusive";
    if (!r.resource.empty() && !seen.insert(r.resource).second)
      in.fail(l, s.id, "resource '" + r.resource + "' is locked twice",
              "list each resource once");
    s.locks.push_back(std::move(r));
  }
  if (s.locks.size() > max_step_locks)
    in.fail(node, s.id,
            std::to_string(s.locks.size()) +
                " locks; a step may take at most " +
                std::to_string(max_step_locks),
            "lock a resource that stands for the group instead");
}

void parse_consensus(yaml_reader& in, const YAML::Node& node, step_def& s) {
  if (!in.expect_map(node, "consensus", s.id))
    return;
  in.reject_unknown_keys(
      node, {"agents", "strategy", "judge_agent", "judge_template"},
      "consensus", s.id);
  auto& c = s.consensus;
  c.agents = static_cast<int>(in.integer(node, "agents", 3, 2, s.id));
  c.strategy = in.string(node, "strategy", "majority", s.id);
  c.judge_agent = in.string(node, "judge_agent", "", s.id);
  c.judge_template = in.string(node, "judge_template", "", s.id);
  if (c.strategy != "majority" && c.strategy != "best_quality" &&
      c.strategy != "judge")
    in.fail(node["strategy"], s.id,
            "unknown consensus strategy '" + c.strategy + "'",
            "use majority, best_quality or judge");
  if (c.strategy == "judge" &&
      (c.judge_agent.empty() || c.judge_template.empty()))
    in.fail(node, s.id,
            "the judge strategy needs judge_agent and "
            "judge_template",
            "name the agent that picks and its template (it receives the "
            "candidates as the parameter `candidates`)");
  if (!s.agent_id.empty())
    in.fail(node, s.id,
            "consensus needs distinct agents, but the step names "
            "one agent_id",
            "pick agents with agent: {department: ..., capabilities: [...]}");
}

step_def parse_step(yaml_reader& in, const YAML::Node& node, size_t index) {
  step_def s;
  s.line = yaml_reader::line_of(node);
  if (!in.expect_map(node, "step #" + std::to_string(index + 1)))
    return s;
  s.id = in.required_string(node, "id", "#" + std::to_string(index + 1));
  in.reject_unknown_keys(
      node,
      {"id", "name", "agent_id", "agent", "command_template_id", "params",
       "depends_on", "order", "retry", "timeout_ms", "description", "priority",
       "locks", "lock_timeout_ms", "consensus", "conversation", "evaluator"},
      "step", s.id);
  s.name = in.string(node, "name", s.id, s.id);
  s.agent_id = in.string(node, "agent_id", "", s.id);
  if (node["agent"])
    parse_selector(in, node["agent"], s);
  if (!s.agent_id.empty() && s.agent)
    in.fail(
        node, s.id, "has both agent_id and agent",
        "keep agent_id for a fixed agent or agent: for a selector, not both");
  if (s.agent_id.empty() && !s.agent)
    in.fail(
        node, s.id, "names no agent",
        "add agent_id: <id> or agent: {department: ..., capabilities: [...]}");
  s.command_template_id = in.required_string(node, "command_template_id", s.id);
  if (auto p = node["params"]; p && !p.IsNull()) {
    if (in.expect_map(p, "params", s.id))
      s.params = to_json(p);
  }
  s.depends_on = in.strings(node, "depends_on", s.id);
  if (node["order"])
    s.order = in.integer(node, "order", 0, 0, s.id);
  if (node["retry"])
    parse_retry(in, node["retry"], s);
  s.timeout_ms = in.integer(node, "timeout_ms", 0, 0, s.id);
  if (node["priority"])
    s.priority = static_cast<int>(in.integer(node, "priority", 0, 0, s.id));
  if (node["locks"])
    parse_locks(in, node["locks"], s);
  s.lock_timeout_ms = in.integer(node, "lock_timeout_ms", 0, 0, s.id);
  if (node["consensus"])
    parse_consensus(in, node["consensus"], s);
  s.conversation = in.string(node, "conversation", "", s.id);
  if (auto e = node["evaluator"]; e && in.expect_map(e, "evaluator", s.id)) {
    in.reject_unknown_keys(e, {"judge_agent", "judge_template"}, "evaluator",
                           s.id);
    s.evaluator = {in.required_string(e, "judge_agent", s.id),
                   in.required_string(e, "judge_template", s.id)};
  }
  return s;
}

} // namespace

result<workflow_def> parse_workflow(const std::string& text,
                                    const std::string& file) {
  problems errors;
  yaml_reader in{file, errors};
  auto root = in.parse(text);
  if (!root)
    return errors;
  if (!in.expect_map(*root, "a workflow file"))
    return errors;
  in.reject_unknown_keys(*root,
                         {"name", "description", "department", "trigger_type",
                          "cron", "version", "inputs", "steps", "status",
                          "priority", "max_concurrency"},
                         "workflow");
  workflow_def wf;
  wf.file = file;
  wf.name = in.required_string(*root, "name");
  wf.description = in.string(*root, "description", "");
  wf.department = in.string(*root, "department", "");
  wf.trigger_type = in.string(*root, "trigger_type", "manual");
  if (wf.trigger_type != "manual" && wf.trigger_type != "scheduled" &&
      wf.trigger_type != "event")
    in.fail((*root)["trigger_type"], "",
            "unknown trigger_type '" + wf.trigger_type + "'",
            "use manual, scheduled or event");
  wf.cron = in.string(*root, "cron", "");
  wf.version = static_cast<int>(in.integer(*root, "version", 1, 1));
  wf.priority = static_cast<int>(in.integer(*root, "priority", 0, 0));
  wf.max_concurrency =
      static_cast<int>(in.integer(*root, "max_concurrency", 0, 0));
  wf.inputs = parse_param_specs(in, (*root)["inputs"], "inputs");
  auto steps = (*root)["steps"];
  if (steps && !steps.IsNull() && !steps.IsSequence())
    in.fail(steps, "", "'steps' must be a list",
            "write steps: as a list of - id: ...");
  else if (steps)
    for (size_t i = 0; i < steps.size(); ++i)
      wf.steps.push_back(parse_step(in, steps[i], i));
  if (!errors.empty())
    return errors;
  return wf;
}

nlohmann::json to_json(const workflow_def& wf) {
  auto steps = nlohmann::json::array();
  for (const auto& s : wf.steps) {
    nlohmann::json j{{"id", s.id},
                     {"name", s.name},
                     {"command_template_id", s.command_template_id},
                     {"params", s.params},
                     {"retry",
                      {{"max_attempts", s.retry.max_attempts},
                       {"backoff_ms", s.retry.backoff_ms},
                       {"max_backoff_ms", s.retry.max_backoff_ms}}},
                     {"timeout_ms", s.timeout_ms}};
    if (!s.agent_id.empty())
      j["agent_id"] = s.agent_id;
    if (s.agent)
      j["agent"] = {{"department", s.agent->department},
                    {"capabilities", s.agent->capabilities}};
    if (!s.depends_on.empty())
      j["depends_on"] = s.depends_on;
    if (s.order)
      j["order"] = *s.order;
    if (s.priority)
      j["priority"] = *s.priority;
    if (!s.locks.empty()) {
      auto locks = nlohmann::json::array();
      for (const auto& l : s.locks)
        locks.push_back({{"resource", l.resource},
                         {"mode", l.exclusive ? "exclusive" : "shared"}});
      j["locks"] = locks;
      j["lock_timeout_ms"] = s.lock_timeout_ms;
    }
    if (!s.conversation.empty())
      j["conversation"] = s.conversation;
    if (!s.evaluator.agent.empty())
      j["evaluator"] = {{"judge_agent", s.evaluator.agent},
                        {"judge_template", s.evaluator.template_id}};
    if (s.consensus.agents > 0)
      j["consensus"] = {{"agents", s.consensus.agents},
                        {"strategy", s.consensus.strategy},
                        {"judge_agent", s.consensus.judge_agent},
                        {"judge_template", s.consensus.judge_template}};
    steps.push_back(std::move(j));
  }
  return {{"name", wf.name},
          {"description", wf.description},
          {"department", wf.department},
          {"trigger_type", wf.trigger_type},
          {"version", wf.version},
          {"priority", wf.priority},
          {"max_concurrency", wf.max_concurrency},
          {"inputs", to_json(wf.inputs)},
          {"steps", steps}};
}

result<workflow_def> workflow_from_json(const nlohmann::json& j) {
  // JSON is YAML: reuse the one parser so both paths check the same rules.
  return parse_workflow(j.dump(), "stored definition");
}

} // namespace hishamos::model
