#include "admin/http_server.hpp"

#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "hishamos/node.hpp"
#include "model/validation.hpp"

namespace hishamos::admin {

using nlohmann::json;

namespace {

void reply(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(2), "application/json");
}

void fail(httplib::Response& res, int status, const std::string& error,
          const std::string& message, json details = json::object()) {
  reply(res, status,
        {{"error", error}, {"message", message}, {"details", details}});
}

// 503 when the store may answer later, 500 otherwise.
void store_failed(httplib::Response& res, const persistence::status& st) {
  if (persistence::is_retryable(st.code))
    return fail(res, 503, "store_unavailable",
                "the store cannot be reached: " + st.message,
                {{"fix", "retry later; /ready says when the store is back"}});
  fail(res, 500, "store_error", st.message);
}

json problems_json(const model::problems& xs) {
  auto out = json::array();
  for (const auto& p : xs)
    out.push_back({{"message", p.message}, {"fix", p.fix}});
  return out;
}

json to_json(const step_status& s) {
  return {{"id", s.id},
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
}

json step_json(const execution_status& x, const step_status& s) {
  auto out = to_json(s);
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
  if (with_steps) {
    out["input"] = x.input;
    out["output"] = x.output;
    out["steps"] = json::array();
    for (const auto& s : x.steps)
      out["steps"].push_back(step_json(x, s));
  }
  return out;
}

json workflow_summary(const model::workflow_def& wf) {
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

} // namespace

struct http_server::impl {
  explicit impl(node& n) : n(n) {}
  node& n;
  httplib::Server server;
  std::thread thread;

  void routes();
  void execute(const httplib::Request& req, httplib::Response& res);
  void list_workflows(const httplib::Request& req, httplib::Response& res);
  void agent_daily(const httplib::Request& req, httplib::Response& res);
  void rate(const httplib::Request& req, httplib::Response& res);
  void costs(const httplib::Request& req, httplib::Response& res);
  void approve(const httplib::Request& req, httplib::Response& res);
};

json to_json(const persistence::cost_row& r) {
  return {{"key", r.key},
          {"calls", r.calls},
          {"tokens_in", r.tokens_in},
          {"tokens_out", r.tokens_out},
          {"tokens_cached", r.tokens_cached},
          {"cost_usd", r.cost},
          {"cost_avoided_usd", r.cost_avoided},
          {"avg_latency_ms", r.avg_latency_ms}};
}

// GET /api/v1/costs?by=step|execution|agent|workflow|department|day
// &from=YYYY-MM-DD&to=YYYY-MM-DD (UTC days, both included)
// &execution_id=&workflow=&limit=1..1000
void http_server::impl::costs(const httplib::Request& req,
                              httplib::Response& res) {
  persistence::cost_query q;
  auto by = req.has_param("by") ? req.get_param_value("by") : "day";
  auto grouping = model::parse_cost_grouping(by);
  if (!grouping)
    return fail(res, 400, "invalid_query",
                "by must be step, execution, agent, workflow, department or "
                "day (got '" +
                    by + "')");
  q.by = *grouping;
  for (auto [name, field, end] : {std::tuple{"from", &q.from_ms, false},
                                  std::tuple{"to", &q.to_ms, true}})
    if (req.has_param(name)) {
      auto day = req.get_param_value(name);
      auto ms = model::day_start_ms(day);
      if (!ms)
        return fail(res, 400, "invalid_query",
                    std::string{name} + " must be a day YYYY-MM-DD (got '" +
                        day + "')");
      *field = *ms + (end ? 86400 * 1000 : 0);
    }
  q.execution_id = req.get_param_value("execution_id");
  q.workflow = req.get_param_value("workflow");
  if (req.has_param("limit")) {
    auto text = req.get_param_value("limit");
    char* stop = nullptr;
    long v = std::strtol(text.c_str(), &stop, 10);
    q.limit = text.empty() || *stop != '\0' ? -1 : static_cast<int>(v);
  }
  auto got = n.costs(q);
  if (got.st.code == persistence::errc::invalid)
    return fail(res, 400, "invalid_query", got.st.message,
                {{"fix", "limit is 1 to 1000; to is not before from"}});
  if (!got)
    return store_failed(res, got.st);
  auto rows = json::array();
  for (const auto& r : got.value)
    rows.push_back(to_json(r));
  reply(res, 200, {{"by", by}, {"rows", rows}});
}

// POST /api/v1/executions/{id}/approve [{"extra_usd": N}]: a person lets
// an execution a budget paused spend N USD more (default: that budget's
// limit).
void http_server::impl::approve(const httplib::Request& req,
                                httplib::Response& res) {
  std::string id = req.matches[1];
  auto body =
      req.body.empty() ? json::object() : json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object() ||
      (body.contains("extra_usd") && !body["extra_usd"].is_number()))
    return fail(res, 400, "invalid_json",
                "the body must be empty or a JSON object like "
                "{\"extra_usd\": 2.5}");
  double extra = body.value("extra_usd", 0.0);
  auto got = n.approve_budget(id, extra);
  if (got.st.code == persistence::errc::invalid)
    return fail(res, 422, "invalid_amount", got.st.message);
  if (got.st.code == persistence::errc::conflict)
    return fail(res, 409, "not_paused", got.st.message);
  if (got.st.code == persistence::errc::not_found) {
    auto x = n.execution(id);
    if (!x)
      return store_failed(res, x.st);
    if (!x.value)
      return fail(res, 404, "execution_not_found",
                  "no execution with id '" + id + "'");
    return fail(res, 409, "not_here",
                "execution " + id + " is " + x.value->state +
                    (x.value->owner_node.empty()
                         ? std::string{}
                         : " on node " + x.value->owner_node),
                {{"fix", "approve it through the node that owns it"}});
  }
  if (!got)
    return store_failed(res, got.st);
  n.audit("execution.budget_approve", {{"execution_id", id},
                                       {"extra_usd", extra},
                                       {"approved_until", got.value},
                                       {"from", req.remote_addr}});
  reply(res, 200,
        {{"execution_id", id},
         {"state", "running"},
         {"approved_until_usd", got.value}});
}

// POST /api/v1/results/{execution_id}.{step_id}/rating {"score": 0..1}: a
// result is named by its execution and step (the execution's API lists
// each step's result_id).
void http_server::impl::rate(const httplib::Request& req,
                             httplib::Response& res) {
  std::string id = req.matches[1];
  auto dot = id.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == id.size())
    return fail(res, 400, "invalid_result_id",
                "a result id is <execution_id>.<step_id>, got '" + id + "'",
                {{"fix", "take result_id from GET /api/v1/executions/{id}"}});
  auto body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object() || !body.contains("score") ||
      !body["score"].is_number())
    return fail(res, 400, "invalid_json",
                "the body must be a JSON object like {\"score\": 0.8}");
  auto st = n.rate_result(id.substr(0, dot), id.substr(dot + 1),
                          body["score"].get<double>());
  if (st.code == persistence::errc::invalid)
    return fail(res, 422, "invalid_rating", st.message);
  if (st.code == persistence::errc::not_found)
    return fail(res, 404, "result_not_found", st.message);
  if (!st)
    return store_failed(res, st);
  n.audit(
      "result.rate",
      {{"result_id", id}, {"score", body["score"]}, {"from", req.remote_addr}});
  reply(res, 200, {{"result_id", id}, {"score", body["score"]}});
}

// ?page=&limit=&status=&department=; the store rejects values out of range.
void http_server::impl::list_workflows(const httplib::Request& req,
                                       httplib::Response& res) {
  persistence::workflow_query q;
  q.status = req.get_param_value("status");
  q.department = req.get_param_value("department");
  for (auto [name, field] :
       {std::pair{"page", &q.page}, std::pair{"limit", &q.limit}})
    if (req.has_param(name)) {
      auto text = req.get_param_value(name);
      char* end = nullptr;
      long v = std::strtol(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0' || v < -1000000 || v > 1000000)
        return fail(res, 400, "invalid_query",
                    std::string{name} + " must be an integer (got '" + text +
                        "')");
      *field = static_cast<int>(v);
    }
  auto got = n.workflows(q);
  if (got.st.code == persistence::errc::invalid)
    return fail(res, 400, "invalid_query", got.st.message,
                {{"fix", "page starts at 1; limit is 1 to 100 (default 20)"}});
  if (!got)
    return store_failed(res, got.st);
  auto cat = n.catalog();
  auto out = json::array();
  for (const auto& w : got.value.items) {
    // Catalog details when this node knows the workflow; statistics always.
    json item = json::object();
    if (auto wf = cat->find_workflow(w.name))
      item = workflow_summary(*wf);
    item["name"] = w.name;
    item["version"] = w.version;
    item["status"] = w.status;
    item["department"] = w.department;
    item["execution_count"] = w.execution_count;
    item["last_execution_ms"] =
        w.last_execution_ms ? json(w.last_execution_ms) : json(nullptr);
    out.push_back(std::move(item));
  }
  reply(res, 200,
        {{"workflows", out},
         {"page", q.page},
         {"limit", q.limit},
         {"total", got.value.total}});
}

// ?from=YYYY-MM-DD&to=YYYY-MM-DD, both included (UTC days).
void http_server::impl::agent_daily(const httplib::Request& req,
                                    httplib::Response& res) {
  std::string agent = req.matches[1];
  if (!req.has_param("from") || !req.has_param("to"))
    return fail(
        res, 400, "invalid_query",
        "from and to are required, e.g. ?from=2026-11-01&to=2026-11-30");
  auto got = n.agent_daily_series(agent, req.get_param_value("from"),
                                  req.get_param_value("to"));
  if (got.st.code == persistence::errc::invalid)
    return fail(res, 400, "invalid_query", got.st.message);
  if (!got)
    return store_failed(res, got.st);
  auto days = json::array();
  for (const auto& d : got.value)
    days.push_back({{"day", d.day},
                    {"executions", d.executions},
                    {"tasks", d.tasks},
                    {"avg_quality", d.avg_quality},
                    {"cost", d.cost}});
  reply(res, 200, {{"agent_id", agent}, {"days", days}});
}

void http_server::impl::routes() {
  server.Get("/health",
             [this](const httplib::Request&, httplib::Response& res) {
               reply(res, 200, {{"status", "ok"}, {"node", n.id()}});
             });
  server.Get("/ready", [this](const httplib::Request&, httplib::Response& res) {
    if (n.ready())
      reply(res, 200, {{"status", "ready"}, {"node", n.id()}});
    else
      fail(res, 503, "not_ready",
           "node " + n.id() + " is draining or cannot reach its store");
  });
  server.Get("/metrics",
             [this](const httplib::Request&, httplib::Response& res) {
               res.set_content(n.metrics_text(), "text/plain; version=0.0.4");
             });
  server.Get("/api/v1/workflows",
             [this](const httplib::Request& req, httplib::Response& res) {
               list_workflows(req, res);
             });
  server.Get("/api/v1/nodes",
             [this](const httplib::Request&, httplib::Response& res) {
               auto got = n.cluster();
               if (!got)
                 return store_failed(res, got.st);
               reply(res, 200, got.value);
             });
  server.Get("/api/v1/locks",
             [this](const httplib::Request&, httplib::Response& res) {
               reply(res, 200, n.locks());
             });
  server.Get("/api/v1/agents/quality",
             [this](const httplib::Request&, httplib::Response& res) {
               reply(res, 200, {{"learned", n.learned_quality()}});
             });
  server.Post(R"(/api/v1/results/([^/]+)/rating)",
              [this](const httplib::Request& req, httplib::Response& res) {
                rate(req, res);
              });
  server.Get(R"(/api/v1/agents/([^/]+)/daily)",
             [this](const httplib::Request& req, httplib::Response& res) {
               agent_daily(req, res);
             });
  server.Post(R"(/api/v1/workflows/([^/]+)/execute)",
              [this](const httplib::Request& req, httplib::Response& res) {
                execute(req, res);
              });
  server.Get("/api/v1/executions",
             [this](const httplib::Request& req, httplib::Response& res) {
               int limit = 20;
               if (req.has_param("limit")) {
                 try {
                   limit = std::stoi(req.get_param_value("limit"));
                 } catch (const std::exception&) {
                   limit = -1;
                 }
                 if (limit < 1 || limit > 100)
                   return fail(res, 400, "invalid_limit",
                               "limit must be an integer from 1 to 100");
               }
               auto got = n.executions(limit);
               if (!got)
                 return store_failed(res, got.st);
               auto out = json::array();
               for (const auto& x : got.value)
                 out.push_back(to_json(x, false));
               reply(res, 200, {{"executions", out}});
             });
  server.Get(R"(/api/v1/executions/([^/]+))",
             [this](const httplib::Request& req, httplib::Response& res) {
               auto x = n.execution(req.matches[1]);
               if (!x)
                 return store_failed(res, x.st);
               if (!x.value)
                 return fail(res, 404, "execution_not_found",
                             "no execution with id '" +
                                 std::string{req.matches[1]} + "'");
               auto out = to_json(*x.value, true);
               persistence::cost_query q;
               q.by = persistence::cost_grouping::execution;
               q.execution_id = x.value->id;
               if (auto c = n.costs(q); c && !c.value.empty())
                 out["cost"] = to_json(c.value.front());
               reply(res, 200, out);
             });
  server.Get("/api/v1/budgets",
             [this](const httplib::Request&, httplib::Response& res) {
               reply(res, 200, n.budgets());
             });
  server.Get("/api/v1/costs",
             [this](const httplib::Request& req, httplib::Response& res) {
               costs(req, res);
             });
  server.Post(R"(/api/v1/executions/([^/]+)/approve)",
              [this](const httplib::Request& req, httplib::Response& res) {
                approve(req, res);
              });
  server.Post(R"(/api/v1/executions/([^/]+)/cancel)", [this](const httplib::
                                                                 Request& req,
                                                             httplib::Response&
                                                                 res) {
    std::string id = req.matches[1];
    if (n.cancel(id)) {
      n.audit("execution.cancel",
              {{"execution_id", id}, {"from", req.remote_addr}});
      return reply(res, 202, {{"execution_id", id}, {"state", "cancelling"}});
    }
    auto x = n.execution(id);
    if (!x)
      return store_failed(res, x.st);
    if (x.value)
      return fail(res, 409, "not_running",
                  "execution " + id + " is " + x.value->state +
                      ", not running here");
    fail(res, 404, "execution_not_found", "no execution with id '" + id + "'");
  });
  server.set_error_handler(
      [](const httplib::Request& req, httplib::Response& res) {
        if (res.status == 404 && res.body.empty())
          fail(res, 404, "not_found",
               "no route for " + req.method + " " + req.path);
      });
}

void http_server::impl::execute(const httplib::Request& req,
                                httplib::Response& res) {
  std::string name = req.matches[1];
  auto wf = n.catalog()->find_workflow(name);
  if (!wf)
    return fail(res, 404, "workflow_not_found",
                "no workflow named '" + name + "'",
                {{"fix", "GET /api/v1/workflows lists the names"}});
  auto body =
      req.body.empty() ? json::object() : json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return fail(res, 400, "invalid_json",
                "the body must be a JSON object like {\"input\": {...}}");
  auto input = body.value("input", json::object());
  if (auto checked = model::validate_inputs(*wf, input); !checked)
    return fail(res, 422, "invalid_input",
                "the input does not fit workflow '" + name + "'",
                {{"problems", problems_json(checked.errors())}});
  // No store ping here: submit reports a store that cannot write.
  if (!n.accepting())
    return fail(res, 503, "not_ready",
                "node " + n.id() + " is not accepting work");
  auto id = n.submit(name, input);
  if (!id)
    return fail(res, 503, "store_unavailable", model::to_string(id.errors()));
  n.audit(
      "execution.start",
      {{"execution_id", *id}, {"workflow", name}, {"from", req.remote_addr}});
  res.set_header("Location", "/api/v1/executions/" + *id);
  // A node at node.max_executions stores it `pending` for a node with room.
  std::string state = "running";
  if (auto x = n.execution(*id); x && x.value)
    state = x.value->state;
  reply(res, 202,
        {{"execution_id", *id},
         {"state", state},
         {"links", {{"self", "/api/v1/executions/" + *id}}}});
}

http_server::http_server(node& n) : impl_(std::make_unique<impl>(n)) {
  impl_->routes();
}

http_server::~http_server() { stop(); }

model::result<int> http_server::start(const std::string& host, int port) {
  int bound = port == 0 ? impl_->server.bind_to_any_port(host)
                        : (impl_->server.bind_to_port(host, port) ? port : -1);
  if (bound <= 0)
    return model::problem{
        "", 0, "", "cannot listen on " + host + ":" + std::to_string(port),
        "free the port or set http.listen / HISHAMOS_HTTP_LISTEN"};
  impl_->thread = std::thread{[this] { impl_->server.listen_after_bind(); }};
  return bound;
}

void http_server::stop() {
  if (!impl_->thread.joinable())
    return;
  impl_->server.stop();
  impl_->thread.join();
}

} // namespace hishamos::admin
