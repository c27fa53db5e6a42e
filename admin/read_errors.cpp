#include "admin/internal/asio.hpp"

namespace hishamos::admin {

api_error unreadable_request(beast::error_code ec, const char* part,
                             std::int64_t deadline_ms,
                             const config::http_limits& limits) {
  if (ec == beast::error::timeout)
    return {408, "request_timeout",
            std::string{"the request's "} + part + " did not arrive within " +
                std::to_string(deadline_ms) + " ms"};
  if (ec == http::error::header_limit || ec == http::error::buffer_overflow)
    return {431, "headers_too_large",
            "the request's headers exceed " +
                std::to_string(limits.max_header_bytes) + " bytes"};
  if (ec == http::error::body_limit)
    return {413,
            "payload_too_large",
            "the request's body exceeds " +
                std::to_string(limits.max_body_bytes) + " bytes",
            {{"limit_bytes", limits.max_body_bytes}}};
  return {400, "bad_request",
          "the request is not valid HTTP/1.1: " + bounded(ec.message(), 80)};
}

} // namespace hishamos::admin
