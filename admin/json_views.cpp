#include "admin/json_views.hpp"

namespace hishamos::admin {

json to_json(const execution_status& x, const step_status& s) {
  json out{{"id", s.id},
           {"name", s.name},
           {"state", s.state},
           {"attempt", s.attempt},
           {"agent_id", s.agent_id},
           {"output", s.output},
           {"error", s.error},
           {"started_at_ms", s.started_at_ms},
           {"finished_at_ms", s.finished_at_ms},
           {"decision", s.decision},
           {"template_version", s.template_version}};
  if (s.state == "completed")
    out["result_id"] = x.id + "." + s.id;
  return out;
}

json to_json(const execution_status& x, bool with_steps) {
  json out{{"id", x.id},
           {"workflow", x.workflow},
           {"state", x.state},
           {"owner_node", x.owner_node},
           {"epoch", x.epoch},
           {"error", x.error},
           {"created_at_ms", x.created_at_ms},
           {"updated_at_ms", x.updated_at_ms}};
  if (!x.trace_id.empty())
    out["trace_id"] = x.trace_id;
  if (with_steps) {
    out["input"] = x.input;
    out["output"] = x.output;
    if (!x.definition.is_null())
      out["definition"] = x.definition;
    out["steps"] = json::array();
    for (const auto& s : x.steps)
      out["steps"].push_back(to_json(x, s));
    out["attempts"] = json::array();
    for (const auto& a : x.attempts)
      out["attempts"].push_back({{"step_id", a.step_id},
                                 {"epoch", a.epoch},
                                 {"attempt", a.attempt},
                                 {"node", a.node},
                                 {"agent_id", a.agent_id},
                                 {"started_at_ms", a.started_at_ms},
                                 {"finished_at_ms", a.finished_at_ms},
                                 {"outcome", a.outcome},
                                 {"error", a.error}});
    out["owners"] = json::array();
    for (const auto& o : x.owners)
      out["owners"].push_back({{"epoch", o.epoch},
                               {"node", o.node},
                               {"previous_node", o.previous_node},
                               {"reason", o.reason},
                               {"at_ms", o.at_ms}});
  }
  return out;
}

json to_json(const model::cost_row& r) {
  return {{"key", r.key},
          {"calls", r.calls},
          {"tokens_in", r.tokens_in},
          {"tokens_out", r.tokens_out},
          {"tokens_cached", r.tokens_cached},
          {"cost_usd", r.cost},
          {"cost_avoided_usd", r.cost_avoided},
          {"avg_latency_ms", r.avg_latency_ms}};
}

json to_json(const model::daily_point& d) {
  return {{"day", d.day},     {"executions", d.executions},
          {"tasks", d.tasks}, {"avg_quality", d.avg_quality},
          {"cost", d.cost},   {"avg_latency_ms", d.avg_latency_ms}};
}

json summary_json(const model::workflow_def& wf) {
  auto inputs = json::object();
  for (const auto& [name, spec] : wf.inputs)
    inputs[name] = {{"type", model::to_string(spec.type)},
                    {"required", spec.required}};
  return {{"name", wf.name},
          {"description", wf.description},
          {"department", wf.department},
          {"version", wf.version},
          {"steps", wf.steps.size()},
          {"inputs", inputs}};
}

json to_json(const model::workflow_summary& w, json summary) {
  auto item = summary.is_object() ? std::move(summary) : json::object();
  item["name"] = w.name;
  item["version"] = w.version;
  item["status"] = w.status;
  item["department"] = w.department;
  item["execution_count"] = w.execution_count;
  item["last_execution_ms"] =
      w.last_execution_ms ? json(w.last_execution_ms) : json(nullptr);
  return item;
}

json to_json(const model::agent_directory_entry& a) {
  return {{"id", a.id},
          {"node", a.node},
          {"department", a.department},
          {"capabilities", a.capabilities},
          {"capacity", a.capacity},
          {"load", a.load},
          {"load_from_here", a.load_from_here},
          {"latency_ms", a.latency_ms}};
}

json to_json(const std::vector<model::agent_directory_entry>& xs) {
  auto out = json::array();
  for (const auto& a : xs)
    out.push_back(to_json(a));
  return out;
}

json to_json(const cluster_view& c) {
  auto nodes = json::array();
  for (const auto& n : c.nodes) {
    auto agents = json::array();
    for (const auto& a : n.agents)
      agents.push_back({{"id", a.id},
                        {"department", a.department},
                        {"capabilities", a.capabilities},
                        {"capacity", a.capacity},
                        {"load", a.load},
                        {"load_from_here", a.load_from_here}});
    nodes.push_back({{"id", n.id},
                     {"self", n.self},
                     {"address", n.address},
                     {"http_address", n.http_address},
                     {"lease", n.lease_live ? "live" : "expired"},
                     {"lease_expires_at_ms", n.lease_expires_at_ms},
                     {"connected", n.connected},
                     {"agents", agents}});
  }
  return {{"node", c.node}, {"nodes", nodes}};
}

json to_json(const std::vector<model::peer_entry>& xs) {
  auto out = json::array();
  for (const auto& p : xs)
    out.push_back(
        {{"id", p.id}, {"http_address", p.http_address}, {"agents", p.agents}});
  return out;
}

namespace {

json lock_json(const model::lock_entry& e) {
  auto locks = json::array();
  for (const auto& l : e.locks)
    locks.push_back({{"resource", l.resource},
                     {"mode", l.exclusive ? "exclusive" : "shared"}});
  return {{"task_id", e.task_id},
          {"node", e.node},
          {"holder", e.holder},
          {"locks", locks}};
}

json lock_list(const std::vector<model::lock_entry>& xs) {
  auto out = json::array();
  for (const auto& e : xs)
    out.push_back(lock_json(e));
  return out;
}

json budget_json(const model::budget_status& s) {
  const auto& b = s.config;
  json x{{"scope", model::to_string(b.scope)},
         {"name", b.name},
         {"limit_usd", b.limit_usd},
         {"action", model::to_string(b.action)}};
  if (!b.downgrade_model.empty())
    x["downgrade_model"] = b.downgrade_model;
  if (b.scope != model::budget_scope::execution) {
    x["period"] = model::to_string(b.period);
    x["spent_usd"] = s.spent_usd.empty() ? json::object() : json(s.spent_usd);
  }
  return x;
}

} // namespace

json to_json(const model::lock_table_snapshot& t) {
  if (!t.authority)
    return {{"authority", nullptr}};
  return {{"held", lock_list(t.held)},
          {"waiting", lock_list(t.waiting)},
          {"awaiting_sync", t.awaiting_sync}};
}

json to_json(const std::vector<model::quality_entry>& xs) {
  auto out = json::array();
  for (const auto& q : xs)
    out.push_back(
        {{"agent", q.agent},
         {"category", q.category},
         {"successes", q.successes},
         {"failures", q.failures},
         {"mean", q.mean},
         {"here",
          {{"successes", q.here_successes}, {"failures", q.here_failures}}}});
  return out;
}

json to_json(const model::budget_snapshot& b) {
  if (!b.keeper)
    return {{"budgets", json::array()}};
  auto budgets = json::array();
  for (const auto& s : b.budgets)
    budgets.push_back(budget_json(s));
  return {{"budgets", budgets},
          {"ledger_read_at_ms", b.ledger_read_at_ms},
          {"ledger_error", b.ledger_error}};
}

json to_json(const model::gateway_stats& s) {
  return {{"in_flight", s.in_flight},
          {"upstream_requests", s.upstream_requests},
          {"coalesced", s.coalesced},
          {"l1",
           {{"entries", s.l1_entries},
            {"bytes", s.l1_bytes},
            {"hits", s.l1_hits},
            {"misses", s.l1_misses}}},
          {"l2",
           {{"hits", s.l2_hits}, {"misses", s.l2_misses}, {"down", s.l2_down}}},
          {"breakers", s.breakers}};
}

json to_json(const submitted& s) {
  return {{"execution_id", s.id},
          {"workflow", s.workflow},
          {"workflow_version", s.workflow_version},
          {"state", s.state},
          {"existed", s.existed},
          {"links",
           {{"self", "/api/v1/executions/" + s.id},
            {"events", "/api/v1/executions/" + s.id + "/events"}}}};
}

json to_json(const result_view& r) {
  return {{"result_id", r.execution_id + "." + r.step_id},
          {"execution_id", r.execution_id},
          {"step_id", r.step_id},
          {"agent_id", r.agent_id},
          {"attempt", r.attempt},
          {"output", r.output},
          {"quality_score",
           r.quality_score < 0 ? json(nullptr) : json(r.quality_score)},
          {"cost_usd", r.cost},
          {"tokens_in", r.tokens_in},
          {"tokens_out", r.tokens_out},
          {"tokens_cached", r.tokens_cached},
          {"latency_ms", r.latency_ms},
          {"provider", r.provider},
          {"model", r.model},
          {"template_version", r.template_version},
          {"decision", r.decision},
          {"created_at_ms", r.created_at_ms}};
}

json to_json(const workflow_info& w) {
  return {{"id", w.name + ":" + std::to_string(w.version)},
          {"workflow_id", w.name},
          {"name", w.name},
          {"status", w.status},
          {"version", w.version},
          {"latest_version", w.latest_version},
          {"department", w.department},
          {"description", w.description},
          {"created_at_ms", w.created_at_ms},
          {"updated_at_ms", w.updated_at_ms},
          {"definition", w.definition}};
}

json to_json(const workflow_version_info& v) {
  return {{"id", v.name + ":" + std::to_string(v.version)},
          {"workflow_id", v.name},
          {"version", v.version},
          {"source", v.source},
          {"active", v.active},
          {"created_at_ms", v.created_at_ms},
          {"definition", v.definition}};
}

json to_json(const agent_view& a) {
  auto quality = json::array();
  for (const auto& q : a.quality)
    quality.push_back({{"category", q.category},
                       {"successes", q.successes},
                       {"failures", q.failures},
                       {"mean", q.mean}});
  return {{"id", a.id},
          {"name", a.name},
          {"department", a.department},
          {"capabilities", a.capabilities},
          {"capacity", a.capacity},
          {"provider", a.provider},
          {"model", a.model},
          {"price_per_call", a.price_per_call},
          {"node", a.node},
          {"load", a.load},
          {"latency_ms", a.latency_ms},
          {"quality", quality},
          {"cost", to_json(a.cost)}};
}

json to_json(const template_view& t) {
  return {{"id", t.id},
          {"version", t.version},
          {"name", t.name},
          {"category", t.category},
          {"created_at_ms", t.created_at_ms},
          {"definition", t.definition}};
}

json to_json(const execution_event& e) {
  json out{
      {"kind", e.kind}, {"execution_id", e.execution_id}, {"at_ms", e.at_ms}};
  if (!e.step_id.empty()) {
    out["step_id"] = e.step_id;
    out["attempt"] = e.attempt;
    out["agent_id"] = e.agent_id;
  }
  if (!e.detail.empty())
    out["detail"] = e.detail;
  if (!e.state.empty())
    out["state"] = e.state;
  return out;
}

json to_json(const model::problem& p) {
  json out{{"message", p.message}, {"fix", p.fix}};
  if (p.line > 0)
    out["line"] = p.line;
  if (!p.step.empty())
    out["step"] = p.step;
  return out;
}

json to_json(const model::problems& ps) {
  auto out = json::array();
  for (const auto& p : ps)
    out.push_back(to_json(p));
  return out;
}

} // namespace hishamos::admin
