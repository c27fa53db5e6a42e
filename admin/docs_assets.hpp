#pragma once

// Files the API documentation pages are made of, built into the binary so
// that a node serves them with nothing beside it: the OpenAPI document
// (docs/openapi.yaml) always; Swagger UI and ReDoc when the build found
// them (deploy/install-deps.sh installs them with npm into web/).

#include <string_view>

namespace hishamos::admin::docs {

/// docs/openapi.yaml as it was at build time.
[[nodiscard]] std::string_view openapi_yaml();

/// Whether Swagger UI and ReDoc were built in.
[[nodiscard]] bool has_ui();
/// swagger-ui-dist's swagger-ui-bundle.js and swagger-ui.css, and ReDoc's
/// redoc.standalone.js; empty without the UI.
[[nodiscard]] std::string_view swagger_ui_js();
[[nodiscard]] std::string_view swagger_ui_css();
[[nodiscard]] std::string_view redoc_js();

} // namespace hishamos::admin::docs
