// The admin API's transport: Boost.Beast on a few I/O threads, with the
// connections served by admin/http_session.cpp and route handlers run by
// the worker pool.

#include "admin/http_server.hpp"

#include <thread>

#include <spdlog/spdlog.h>

#include "admin/internal/asio.hpp"
#include "hishamos/node.hpp"

namespace hishamos::admin {

namespace {
constexpr int io_threads = 2;
} // namespace

struct http_server::impl {
  impl(node& n, config::http_limits l) : core(n, l) {}

  void accept() {
    acceptor->async_accept(
        asio::make_strand(io), [this](beast::error_code ec, tcp::socket s) {
          if (ec == asio::error::operation_aborted || !acceptor->is_open())
            return;
          if (!ec)
            serve_connection(std::move(s), core, tls ? &*tls : nullptr);
          else
            spdlog::warn("admin HTTP: accept failed: {}", ec.message());
          accept();
        });
  }

  server_core core;
  std::optional<asio::ssl::context> tls; ///< With http.tls_certificate.
  asio::io_context io;
  std::optional<tcp::acceptor> acceptor;
  std::vector<std::thread> threads;
};

http_server::http_server(node& n) : http_server(n, n.config().http) {}

http_server::http_server(node& n, config::http_limits limits)
    : impl_(std::make_unique<impl>(n, limits)) {}

http_server::~http_server() { stop(); }

model::result<int> http_server::start(const std::string& host, int port) {
  auto fail = [&](const std::string& why) -> model::result<int> {
    return model::problem{"", 0, "",
                          "cannot listen on " + host + ":" +
                              std::to_string(port) + ": " + why,
                          "free the port or set http.listen / "
                          "HISHAMOS_HTTP_LISTEN"};
  };
  beast::error_code ec;
  auto address =
      asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
  if (ec)
    return fail("not an IP address");
  const auto& limits = impl_->core.limits;
  if (!impl_->core.kek_problem.empty())
    return model::problem{"", 0, "", impl_->core.kek_problem,
                          "fix secrets.kek_file or HISHAMOS_KEK"};
  if (!impl_->core.has_kek)
    spdlog::warn("insecure: no key-encryption key (secrets.kek_file or "
                 "HISHAMOS_KEK): TOTP seeds and token-signing keys are "
                 "stored unencrypted");
  if (!limits.tls_certificate.empty() || !limits.tls_key.empty()) {
    auto& ctx = impl_->tls.emplace(asio::ssl::context::tls_server);
    ctx.set_options(
        asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
        asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
        asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
    ctx.use_certificate_chain_file(limits.tls_certificate, ec);
    if (!ec)
      ctx.use_private_key_file(limits.tls_key, asio::ssl::context::pem, ec);
    if (ec) {
      impl_->tls.reset();
      return model::problem{
          "", 0, "",
          "http.tls_certificate / tls_key (" + limits.tls_certificate + ", " +
              limits.tls_key + "): " + ec.message(),
          "give PEM files of a certificate (chain) and its private key"};
    }
  }
  if (!address.is_loopback() && !impl_->tls) {
    if (!limits.tls_terminated_by_proxy)
      return model::problem{
          "", 0, "",
          "refusing to serve the admin API on " + host +
              " without TLS: passwords, tokens and keys would cross the "
              "network in clear",
          "listen on 127.0.0.1, give http.tls_certificate and http.tls_key, "
          "or put a TLS-terminating proxy in front and say so with "
          "http.tls_terminated_by_proxy: true"};
    spdlog::warn("insecure: the admin API serves plain HTTP on {}:{}; "
                 "http.tls_terminated_by_proxy says a proxy terminates TLS",
                 host, port);
  }
  auto& a = impl_->acceptor.emplace(impl_->io);
  tcp::endpoint ep{address, static_cast<std::uint16_t>(port)};
  a.open(ep.protocol(), ec);
  if (!ec)
    a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec)
    a.bind(ep, ec);
  // SOMAXCONN: under a burst of clients no SYN is dropped for a retransmit.
  if (!ec)
    a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    impl_->acceptor.reset();
    return fail(ec.message());
  }
  int bound = a.local_endpoint().port();
  impl_->accept();
  for (int i = 0; i < io_threads; ++i)
    impl_->threads.emplace_back([this] { impl_->io.run(); });
  return bound;
}

std::string http_server::setup_secret() const {
  std::lock_guard lock{impl_->core.setup_mutex};
  return impl_->core.setup_secret;
}

security::accounts& http_server::accounts() { return impl_->core.accounts; }

void http_server::stop() {
  if (impl_->threads.empty())
    return;
  asio::post(impl_->io, [this] {
    beast::error_code ec;
    impl_->acceptor->close(ec);
  });
  impl_->io.stop();
  for (auto& t : impl_->threads)
    t.join();
  impl_->threads.clear();
  impl_->core.workers.stop();
}

} // namespace hishamos::admin
