// The workflows the cluster knows, with their versions, and the command
// templates they use.

#include <charconv>

#include "admin/audit.hpp"
#include "admin/errors.hpp"
#include "admin/json_views.hpp"
#include "admin/pagination.hpp"
#include "admin/params.hpp"
#include "admin/routes.hpp"
#include "hishamos/node.hpp"

namespace hishamos::admin {

namespace {

// GET /api/v1/workflows?page=&limit=&status=&department=
response list_workflows(node& n, const request& req) {
  model::workflow_query q;
  q.status = req.query_value("status");
  q.department = req.query_value("department");
  auto page = int_query(req, "page", 1, 1, 1000000);
  auto limit = int_query(req, "limit", 20, 1, 100);
  for (const auto* p : {&page, &limit})
    if (!*p)
      return error_response(*p->error);
  q.page = page.value;
  q.limit = limit.value;
  auto got = n.workflows(q);
  if (!got)
    return error_response(error_of(got.st, {.invalid = "invalid_query"}));
  auto cat = n.catalog();
  auto out = json::array();
  for (const auto& w : got.value.items) {
    // Catalog details when this node knows the workflow; statistics always.
    auto wf = cat->find_workflow(w.name);
    out.push_back(to_json(w, wf ? summary_json(*wf) : json::object()));
  }
  return json_response(200, {{"workflows", out},
                             {"page", q.page},
                             {"limit", q.limit},
                             {"total", got.value.total}});
}

const error_names workflow_errors{"workflow_not_found", "validation_error", 400,
                                  "conflict"};

// The definition a request carries: a YAML or JSON text as the body
// (Content-Type application/yaml or text/yaml), {"yaml": "..."}, or the
// workflow itself as a JSON object.
parsed<std::string> definition_of(const request& req) {
  auto type =
      req.headers.count("content-type") ? req.headers.at("content-type") : "";
  if (type.find("yaml") != std::string::npos)
    return {req.body, std::nullopt};
  auto body = json_body(req, "{\"name\": ..., \"steps\": [...]}");
  if (!body)
    return {{}, body.error};
  if (body.value.contains("yaml")) {
    if (!body.value["yaml"].is_string())
      return {{}, api_error{400, "invalid_json", "yaml must be a string"}};
    return {body.value["yaml"].get<std::string>(), std::nullopt};
  }
  return {body.value.dump(), std::nullopt};
}

template <class T>
response answered(const outcome<T>& got, int status, node& n,
                  const request& req, const char* action,
                  const std::string& name) {
  if (!got)
    return error_response(error_of(got.st, workflow_errors));
  audit(n, req, action, {{"workflow", name}});
  return json_response(status, to_json(got.value));
}

// POST /api/v1/workflows: version 1, a draft.
response create(node& n, const request& req) {
  auto text = definition_of(req);
  if (!text)
    return error_response(*text.error);
  auto got = n.create_workflow(text.value);
  return answered(got, 201, n, req, "workflow.create",
                  got ? got.value.name : std::string{});
}

// PUT /api/v1/workflows/{name}: a new version, a draft until activated.
response update(node& n, const request& req) {
  auto text = definition_of(req);
  if (!text)
    return error_response(*text.error);
  return answered(n.update_workflow(req.param("name"), text.value), 200, n, req,
                  "workflow.version", req.param("name"));
}

// POST /api/v1/workflows/{name}/activate [{"version": N}] (default: the
// latest).
response activate(node& n, const request& req) {
  auto body = json_body(req, "{\"version\": 2}");
  if (body && body.value.contains("version") &&
      !body.value["version"].is_number_integer())
    body.error = api_error{400, "invalid_json", "version must be an integer"};
  if (!body)
    return error_response(*body.error);
  return answered(
      n.activate_workflow(req.param("name"), body.value.value("version", 0)),
      200, n, req, "workflow.activate", req.param("name"));
}

response get_one(node& n, const request& req) {
  auto got = n.workflow(req.param("name"));
  if (!got)
    return error_response(error_of(got.st));
  if (!got.value)
    return error_response(
        {404, "workflow_not_found",
         "no workflow named '" + bounded(req.param("name")) + "'"});
  return json_response(200, to_json(*got.value));
}

response versions(node& n, const request& req) {
  auto page = page_of(req);
  if (!page)
    return error_response(*page.error);
  auto got = n.workflow_versions(req.param("name"));
  if (!got)
    return error_response(error_of(got.st, workflow_errors));
  return json_response(200, page_json(got.value, page.value, "versions",
                                      [](const workflow_version_info& v) {
                                        return to_json(v);
                                      }));
}

response version(node& n, const request& req) {
  const auto& text = req.param("version");
  int wanted = 0;
  auto [end, ec] =
      std::from_chars(text.data(), text.data() + text.size(), wanted);
  if (ec != std::errc{} || end != text.data() + text.size() || wanted < 1)
    return error_response(
        {400, "invalid_query", "a version is a number from 1"});
  auto got = n.workflow_versions(req.param("name"));
  if (!got)
    return error_response(error_of(got.st, workflow_errors));
  for (const auto& x : got.value)
    if (x.version == wanted)
      return json_response(200, to_json(x));
  return error_response(
      {404, "version_not_found",
       "workflow '" + bounded(req.param("name")) + "' has no version " + text});
}

response templates(node& n, const request& req) {
  auto page = page_of(req);
  if (!page)
    return error_response(*page.error);
  auto got = n.templates();
  if (!got)
    return error_response(error_of(got.st));
  return json_response(
      200, page_json(got.value, page.value, "templates",
                     [](const template_view& t) { return to_json(t); }));
}

response template_versions(node& n, const request& req, bool newest_only) {
  auto got = n.template_versions(req.param("id"));
  if (!got)
    return error_response(
        error_of(got.st, {.not_found = "template_not_found"}));
  if (newest_only)
    return json_response(200, to_json(got.value.back()));
  auto out = json::array();
  for (const auto& t : got.value)
    out.push_back(to_json(t));
  return json_response(200, {{"versions", out}, {"total", out.size()}});
}

} // namespace

void add_workflow_routes(router& r, node& n) {
  r.add("GET", "/api/v1/workflows", permission::read,
        [&n](const request& req) { return list_workflows(n, req); });
  r.add("POST", "/api/v1/workflows", permission::create_workflow,
        [&n](const request& req) { return create(n, req); });
  r.add("GET", "/api/v1/workflows/{name}", permission::read,
        [&n](const request& req) { return get_one(n, req); });
  r.add("PUT", "/api/v1/workflows/{name}", permission::create_workflow,
        [&n](const request& req) { return update(n, req); });
  r.add("DELETE", "/api/v1/workflows/{name}", permission::create_workflow,
        [&n](const request& req) {
          return answered(n.archive_workflow(req.param("name")), 200, n, req,
                          "workflow.archive", req.param("name"));
        });
  r.add("POST", "/api/v1/workflows/{name}/activate",
        permission::create_workflow,
        [&n](const request& req) { return activate(n, req); });
  r.add("GET", "/api/v1/workflows/{name}/versions", permission::read,
        [&n](const request& req) { return versions(n, req); });
  r.add("GET", "/api/v1/workflows/{name}/versions/{version}", permission::read,
        [&n](const request& req) { return version(n, req); });
  r.add("GET", "/api/v1/templates", permission::read,
        [&n](const request& req) { return templates(n, req); });
  r.add("GET", "/api/v1/templates/{id}", permission::read,
        [&n](const request& req) { return template_versions(n, req, true); });
  r.add("GET", "/api/v1/templates/{id}/versions", permission::read,
        [&n](const request& req) { return template_versions(n, req, false); });
}

} // namespace hishamos::admin
