// Starting executions and reading them: one or many at once, by a
// client-chosen id or idempotency key; lists with filters; one execution
// with its steps, results and live events.

#include <algorithm>
#include <mutex>

#include "admin/audit.hpp"
#include "admin/errors.hpp"
#include "admin/event_stream.hpp"
#include "admin/json_views.hpp"
#include "admin/pagination.hpp"
#include "admin/params.hpp"
#include "admin/routes.hpp"
#include "hishamos/node.hpp"

namespace hishamos::admin {

namespace {

constexpr size_t max_batch = 1000;

api_error no_execution(const std::string& id) {
  return {404, "execution_not_found",
          "no execution with id '" + bounded(id) + "'"};
}

const error_names submit_errors{"workflow_not_found", "invalid_input", 422,
                                "conflict"};

// A submission from a JSON object: {input, execution_id, idempotency_key}
// (and workflow, when the path does not name it).
std::optional<api_error> read_submission(const json& body, submission& x) {
  for (const char* key : {"workflow", "execution_id", "idempotency_key"})
    if (body.contains(key) && !body[key].is_string())
      return api_error{400, "invalid_json",
                       std::string{key} + " must be a string"};
  if (body.contains("input") && !body["input"].is_object())
    return api_error{400, "invalid_json", "input must be a JSON object"};
  if (x.workflow.empty())
    x.workflow = body.value("workflow", "");
  x.input = body.value("input", json::object());
  x.execution_id = body.value("execution_id", "");
  x.idempotency_key = body.value("idempotency_key", x.idempotency_key);
  if (x.workflow.empty())
    return api_error{400, "invalid_json", "workflow is required"};
  return std::nullopt;
}

// 202 for a new execution, 200 for one the id or key found.
response submitted_response(node& n, const request& req,
                            outcome<submitted> got) {
  if (!got)
    return error_response(error_of(got.st, submit_errors));
  if (!got.value.existed)
    audit(n, req, "execution.start",
          {{"execution_id", got.value.id}, {"workflow", got.value.workflow}});
  auto res = json_response(got.value.existed ? 200 : 202, to_json(got.value));
  res.headers["Location"] = "/api/v1/executions/" + got.value.id;
  return res;
}

// POST /api/v1/workflows/{name}/execute and POST /api/v1/executions
response execute(node& n, const request& req) {
  auto body = json_body(req, "{\"input\": {...}}");
  if (!body)
    return error_response(*body.error);
  submission x;
  x.workflow = req.param("name");
  if (auto it = req.headers.find("idempotency-key"); it != req.headers.end())
    x.idempotency_key = it->second;
  x.traceparent = req.trace.traceparent();
  if (auto e = read_submission(body.value, x))
    return error_response(*e);
  return submitted_response(n, req, n.submit(x));
}

// POST /api/v1/executions/batch {"executions": [{workflow, input, ...}]}:
// one commit for all; one result each, in order.
response execute_batch(node& n, const request& req) {
  auto body = json_body(req, "{\"executions\": [{\"workflow\": ...}]}");
  if (!body)
    return error_response(*body.error);
  const auto& xs = body.value["executions"];
  if (!xs.is_array() || xs.empty() || xs.size() > max_batch)
    return error_response({400, "invalid_json",
                           "executions must be an array of 1 to " +
                               std::to_string(max_batch) + " submissions"});
  std::vector<submission> subs(xs.size());
  for (size_t i = 0; i < xs.size(); ++i) {
    auto e = xs[i].is_object()
                 ? read_submission(xs[i], subs[i])
                 : std::optional<api_error>{
                       {400, "invalid_json", "each submission is an object"}};
    if (e) {
      e->message = "executions[" + std::to_string(i) + "]: " + e->message;
      return error_response(*e);
    }
  }
  for (auto& x : subs)
    x.traceparent = req.trace.traceparent();
  auto got = n.submit_batch(subs);
  auto results = json::array();
  int created = 0, existed = 0, failed = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    if (got[i]) {
      (got[i].value.existed ? existed : created) += 1;
      results.push_back(to_json(got[i].value));
    } else {
      ++failed;
      auto e = error_of(got[i].st, submit_errors);
      results.push_back(
          {{"error", e.code}, {"message", e.message}, {"status", e.status}});
    }
    results.back()["index"] = i;
  }
  audit(n, req, "execution.start_batch", {{"created", created}});
  return json_response(200, {{"results", results},
                             {"created", created},
                             {"existed", existed},
                             {"failed", failed}});
}

// GET /api/v1/executions?state=&workflow=&department=&from=&to=&since_ms=
//   &page=&limit=
response list_executions(node& n, const request& req) {
  auto page = page_of(req);
  auto from = day_query(req, "from", false);
  auto to = day_query(req, "to", true);
  // Finer than a day, for "the last hour" (the console's overview).
  auto since = int64_query(req, "since_ms", 0, 0, 1LL << 50);
  for (const auto* e : {&page.error, &from.error, &to.error, &since.error})
    if (*e)
      return error_response(**e);
  model::execution_query q;
  q.state = req.query_value("state");
  q.workflow = req.query_value("workflow");
  q.department = req.query_value("department");
  q.from_ms = std::max(from.value, since.value);
  q.to_ms = to.value;
  q.page = page.value.page;
  q.limit = page.value.limit;
  auto got = n.executions(q);
  if (!got)
    return error_response(error_of(got.st, {.invalid = "invalid_query"}));
  auto out = json::array();
  for (const auto& x : got.value.items)
    out.push_back(to_json(x, false));
  return json_response(200, {{"executions", out},
                             {"page", q.page},
                             {"limit", q.limit},
                             {"total", got.value.total}});
}

// GET /api/v1/executions/{id}/steps/{step}/prompt
response step_prompt_of(node& n, const request& req) {
  auto got = n.prompt_of(req.param("id"), req.param("step"));
  if (!got)
    return error_response(error_of(got.st, {.not_found = "step_not_found",
                                            .conflict = "prompt_not_ready"}));
  return json_response(200, {{"execution_id", req.param("id")},
                             {"step_id", got.value.step_id},
                             {"template_id", got.value.template_id},
                             {"template_version", got.value.template_version},
                             {"params", got.value.params},
                             {"prompt", got.value.prompt}});
}

// GET /api/v1/executions/{id}: with its steps and its cost.
response get_execution(node& n, const request& req) {
  auto x = n.execution(req.param("id"));
  if (!x)
    return error_response(error_of(x.st));
  if (!x.value)
    return error_response(no_execution(req.param("id")));
  auto out = to_json(*x.value, true);
  model::cost_query q;
  q.by = model::cost_grouping::execution;
  q.execution_id = x.value->id;
  if (auto c = n.costs(q); c && !c.value.empty())
    out["cost"] = to_json(c.value.front());
  return json_response(200, out);
}

// GET /api/v1/executions/{id}/results
response execution_results(node& n, const request& req) {
  auto page = page_of(req);
  if (!page)
    return error_response(*page.error);
  auto got = n.results(req.param("id"));
  if (!got)
    return error_response(
        error_of(got.st, {.not_found = "execution_not_found"}));
  return json_response(
      200, page_json(got.value, page.value, "results",
                     [](const result_view& r) { return to_json(r); }));
}

bool terminal(const std::string& state) {
  return state == "completed" || state == "failed" || state == "cancelled";
}

// The events of one stream in the order the API promises: events that
// arrive while the snapshot is read wait behind it; a `finished` ends it.
class ordered_events {
public:
  explicit ordered_events(std::shared_ptr<event_stream> out)
      : out_(std::move(out)) {}

  void event(const execution_event& e) {
    std::lock_guard<std::mutex> guard{mx_};
    if (!snapshot_sent_)
      return held_.push_back(e);
    send(e);
  }

  // The snapshot, then what was held; a terminal execution's stream is its
  // snapshot and `finished` only.
  void snapshot(const execution_status& x) {
    std::lock_guard<std::mutex> guard{mx_};
    snapshot_sent_ = true;
    out_->send(sse_event("snapshot", to_json(x, true).dump()));
    if (terminal(x.state)) {
      send({"finished", x.id, "", 0, "", x.error, x.updated_at_ms, x.state});
      return;
    }
    for (const auto& e : held_)
      send(e);
    held_.clear();
  }

private:
  void send(const execution_event& e) {
    if (finished_)
      return;
    out_->send(sse_event(e.kind, to_json(e).dump(), ""));
    if (e.kind == "finished") {
      finished_ = true;
      out_->close();
    }
  }

  std::shared_ptr<event_stream> out_;
  std::mutex mx_;
  bool snapshot_sent_ = false;
  bool finished_ = false;
  std::vector<execution_event> held_;
};

// GET /api/v1/executions/{id}/events: Server-Sent Events. First a
// `snapshot` (the execution as GET shows it), then each event as it
// happens (started, completed, checkpointed, retried, failed), and
// `finished` last; then the stream ends.
response execution_events(node& n, const request& req) {
  auto id = req.param("id");
  auto first = n.execution(id);
  if (!first)
    return error_response(error_of(first.st));
  if (!first.value)
    return error_response(no_execution(id));
  response res;
  res.stream = [&n, id](std::shared_ptr<event_stream> out) {
    // Watch first, then read the snapshot: nothing falls between, and
    // what comes meanwhile is held until the snapshot is out.
    auto events = std::make_shared<ordered_events>(out);
    auto handle =
        n.watch(id, [events](const execution_event& e) { events->event(e); });
    out->on_close([handle] {}); // holds the watch while the client listens
    auto now = n.execution(id);
    if (!now || !now.value)
      return out->close();
    events->snapshot(*now.value);
  };
  return res;
}

} // namespace

void add_execution_routes(router& r, node& n) {
  r.add("POST", "/api/v1/workflows/{name}/execute", permission::run_execution,
        [&n](const request& req) { return execute(n, req); });
  r.add("POST", "/api/v1/executions", permission::run_execution,
        [&n](const request& req) { return execute(n, req); });
  r.add("POST", "/api/v1/executions/batch", permission::run_execution,
        [&n](const request& req) { return execute_batch(n, req); });
  r.add("GET", "/api/v1/executions", permission::read,
        [&n](const request& req) { return list_executions(n, req); });
  r.add("GET", "/api/v1/executions/{id}", permission::read,
        [&n](const request& req) { return get_execution(n, req); });
  r.add("GET", "/api/v1/executions/{id}/results", permission::read,
        [&n](const request& req) { return execution_results(n, req); });
  r.add("GET", "/api/v1/executions/{id}/events", permission::read,
        [&n](const request& req) { return execution_events(n, req); });
  r.add("GET", "/api/v1/executions/{id}/steps/{step}/prompt", permission::read,
        [&n](const request& req) { return step_prompt_of(n, req); });
  add_execution_action_routes(r, n);
}

} // namespace hishamos::admin
