#pragma once

// Boost.Asio and Boost.Beast for the HTTP server's two files
// (admin/http_server.cpp, admin/http_session.cpp) only.

// Boost 1.74's awaitable.hpp uses std::exchange without including
// <utility>; C++20 mode exposes it.
#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "admin/errors.hpp"
#include "admin/internal/server_core.hpp"

namespace hishamos::admin {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

/// The answer to a request that could not be read whole: 408 when its
/// `part` (headers, body) missed its deadline, 431 / 413 over a limit, else
/// 400.
[[nodiscard]] api_error unreadable_request(beast::error_code ec,
                                           const char* part,
                                           std::int64_t deadline_ms,
                                           const config::http_limits& limits);

/// Serves one accepted connection until it closes; over TLS with `tls`.
void serve_connection(tcp::socket socket, server_core& core,
                      asio::ssl::context* tls);

} // namespace hishamos::admin
