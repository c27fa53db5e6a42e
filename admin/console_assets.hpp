#pragma once

// The admin console (web/console/), bundled by esbuild at build time and
// built into the binary, so that every node serves it with nothing beside
// it and nothing fetched from elsewhere.

#include <string_view>

namespace hishamos::admin::console {

/// Whether the build found Node and the console's npm packages.
[[nodiscard]] bool built();
/// The page, the script bundle and the style sheet; empty when not built.
[[nodiscard]] std::string_view index_html();
[[nodiscard]] std::string_view app_js();
[[nodiscard]] std::string_view app_css();

} // namespace hishamos::admin::console
