// The API's own documentation: the OpenAPI document as YAML and JSON,
// Swagger UI at /api/docs and ReDoc at /api/redoc, all served from the
// binary (admin/docs_assets.hpp), nothing fetched from elsewhere.

#include <yaml-cpp/yaml.h>

#include "admin/docs_assets.hpp"
#include "admin/errors.hpp"
#include "admin/routes.hpp"
#include "model/param_spec.hpp"

namespace hishamos::admin {

namespace {

// Scripts are files of their own, so that the pages run under a policy
// that allows no inline script. Swagger UI and ReDoc set inline styles and
// ReDoc inline fonts. Nothing may load from another origin: the policy
// blocks ReDoc's attribution logo, its one outside image (it then hides
// it). ReDoc 3's bundle is an ES module.
const char* const page_policy =
    "default-src 'self'; script-src 'self'; style-src 'self' "
    "'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
    "worker-src 'self' blob:; "
    "connect-src 'self'; frame-ancestors 'none'";

const char* const swagger_page = R"(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<link rel="icon" href="data:,">
<title>HishamOS API: Swagger UI</title>
<link rel="stylesheet" href="/api/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/api/docs/swagger-ui-bundle.js"></script>
<script src="/api/docs/init.js"></script>
</body>
</html>
)";

const char* const swagger_init = R"(window.ui = SwaggerUIBundle({
  url: "/api/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: "none"
});
)";

const char* const redoc_page = R"(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<link rel="icon" href="data:,">
<title>HishamOS API: ReDoc</title>
</head>
<body>
<redoc spec-url="/api/openapi.json"></redoc>
<script type="module" src="/api/redoc/redoc.standalone.js"></script>
</body>
</html>
)";

response asset(std::string_view body, const char* type) {
  response res;
  res.body = std::string{body};
  res.content_type = type;
  res.headers["Cache-Control"] = "public, max-age=3600";
  res.headers["X-Content-Type-Options"] = "nosniff";
  return res;
}

response page(const char* html) {
  auto res = asset(html, "text/html; charset=utf-8");
  res.headers["Cache-Control"] = "no-cache"; // the scripts it names may change
  res.headers["Content-Security-Policy"] = page_policy;
  return res;
}

response without_ui() {
  return error_response(
      {404,
       "docs_ui_not_built",
       "this node was built without Swagger UI and ReDoc",
       {{"fix", "run deploy/install-deps.sh (it installs them with npm into "
                "web/) and rebuild; /api/openapi.json is served anyway"}}});
}

// The document as JSON, converted once.
const std::string& openapi_json() {
  static const std::string text =
      model::to_json(YAML::Load(std::string{docs::openapi_yaml()})).dump();
  return text;
}

} // namespace

void add_docs_routes(router& r) {
  r.add("GET", "/api/openapi.yaml", permission::open, [](const request&) {
    return asset(docs::openapi_yaml(), "application/yaml");
  });
  r.add("GET", "/api/openapi.json", permission::open, [](const request&) {
    return asset(openapi_json(), "application/json");
  });
  r.add("GET", "/api/docs", permission::open, [](const request&) {
    return docs::has_ui() ? page(swagger_page) : without_ui();
  });
  r.add("GET", "/api/docs/init.js", permission::open,
        [](const request&) { return asset(swagger_init, "text/javascript"); });
  r.add("GET", "/api/docs/swagger-ui-bundle.js", permission::open,
        [](const request&) {
          return docs::has_ui()
                     ? asset(docs::swagger_ui_js(), "text/javascript")
                     : without_ui();
        });
  r.add("GET", "/api/docs/swagger-ui.css", permission::open,
        [](const request&) {
          return docs::has_ui() ? asset(docs::swagger_ui_css(), "text/css")
                                : without_ui();
        });
  r.add("GET", "/api/redoc", permission::open, [](const request&) {
    return docs::has_ui() ? page(redoc_page) : without_ui();
  });
  r.add("GET", "/api/redoc/redoc.standalone.js", permission::open,
        [](const request&) {
          return docs::has_ui() ? asset(docs::redoc_js(), "text/javascript")
                                : without_ui();
        });
}

} // namespace hishamos::admin
