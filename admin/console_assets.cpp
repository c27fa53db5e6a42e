#include "admin/console_assets.hpp"

#include "admin/internal/embed.hpp"

#ifdef HISHAMOS_CONSOLE_DIR
namespace {
HISHAMOS_EMBED(hishamos_console_html, HISHAMOS_CONSOLE_DIR "/index.html")
HISHAMOS_EMBED(hishamos_console_js, HISHAMOS_CONSOLE_DIR "/app.js")
HISHAMOS_EMBED(hishamos_console_css, HISHAMOS_CONSOLE_DIR "/app.css")
} // namespace
#endif

namespace hishamos::admin::console {

#ifdef HISHAMOS_CONSOLE_DIR
bool built() { return true; }
std::string_view index_html() { return hishamos_console_html(); }
std::string_view app_js() { return hishamos_console_js(); }
std::string_view app_css() { return hishamos_console_css(); }
#else
bool built() { return false; }
std::string_view index_html() { return {}; }
std::string_view app_js() { return {}; }
std::string_view app_css() { return {}; }
#endif

} // namespace hishamos::admin::console
