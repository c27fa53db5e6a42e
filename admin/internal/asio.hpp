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

#include "admin/internal/server_core.hpp"

namespace hishamos::admin {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

/// Serves one accepted connection until it closes; over TLS with `tls`.
void serve_connection(tcp::socket socket, server_core& core,
                      asio::ssl::context* tls);

} // namespace hishamos::admin
