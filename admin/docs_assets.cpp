#include "admin/docs_assets.hpp"

#include "admin/internal/embed.hpp"

namespace {

HISHAMOS_EMBED(hishamos_openapi_yaml, HISHAMOS_OPENAPI_FILE)
#ifdef HISHAMOS_DOCS_UI
HISHAMOS_EMBED(hishamos_swagger_js,
               HISHAMOS_SWAGGER_DIR "/swagger-ui-bundle.js")
HISHAMOS_EMBED(hishamos_swagger_css, HISHAMOS_SWAGGER_DIR "/swagger-ui.css")
HISHAMOS_EMBED(hishamos_redoc_js, HISHAMOS_REDOC_FILE)
#endif

} // namespace

namespace hishamos::admin::docs {

std::string_view openapi_yaml() { return hishamos_openapi_yaml(); }

#ifdef HISHAMOS_DOCS_UI
bool has_ui() { return true; }
std::string_view swagger_ui_js() { return hishamos_swagger_js(); }
std::string_view swagger_ui_css() { return hishamos_swagger_css(); }
std::string_view redoc_js() { return hishamos_redoc_js(); }
#else
bool has_ui() { return false; }
std::string_view swagger_ui_js() { return {}; }
std::string_view swagger_ui_css() { return {}; }
std::string_view redoc_js() { return {}; }
#endif

} // namespace hishamos::admin::docs
