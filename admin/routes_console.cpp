// The admin console at /: one page, its script and its style sheet, served
// from the binary (admin/console_assets.hpp). The console is a client of
// the public API like any other: these routes carry no data, so they are
// open, and everything the page shows comes through the authorised API.

#include "admin/console_assets.hpp"
#include "admin/errors.hpp"
#include "admin/routes.hpp"

namespace hishamos::admin {

namespace {

// No inline script or style, nothing from another origin, no framing:
// an agent's output the page shows cannot run even if it escaped the
// page's escaping. data: images are the QR code of 2FA enrolment.
const char* const console_policy =
    "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

response secured(response res) {
  res.headers["X-Content-Type-Options"] = "nosniff";
  res.headers["Referrer-Policy"] = "no-referrer";
  res.headers["X-Frame-Options"] = "DENY";
  return res;
}

response asset(std::string_view body, const char* type) {
  response res;
  res.body = std::string{body};
  res.content_type = type;
  // index.html names each file with its content hash (?v=), so a new
  // build is fetched at once and an unchanged one never again.
  res.headers["Cache-Control"] = "public, max-age=31536000, immutable";
  return secured(std::move(res));
}

response not_built() {
  return error_response(
      {404,
       "console_not_built",
       "this node was built without the admin console",
       {{"fix", "run deploy/install-deps.sh (it installs Node and the "
                "console's npm packages into web/), configure and rebuild; "
                "the API at /api/v1 works without it"}}});
}

} // namespace

void add_console_routes(router& r) {
  r.add("GET", "/", permission::open, [](const request&) {
    if (!console::built())
      return not_built();
    response res;
    res.body = std::string{console::index_html()};
    res.content_type = "text/html; charset=utf-8";
    res.headers["Cache-Control"] = "no-cache";
    res.headers["Content-Security-Policy"] = console_policy;
    return secured(std::move(res));
  });
  r.add("GET", "/console/app.js", permission::open, [](const request&) {
    return console::built() ? asset(console::app_js(), "text/javascript")
                            : not_built();
  });
  r.add("GET", "/console/app.css", permission::open, [](const request&) {
    return console::built() ? asset(console::app_css(), "text/css")
                            : not_built();
  });
}

} // namespace hishamos::admin
