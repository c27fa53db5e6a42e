// The admin API over TLS: given a certificate it speaks HTTPS only, to
// clients that verify it against its CA, and may then listen beyond
// loopback.

#include <catch2/catch.hpp>

#include "tests/support/credentials.hpp"
#include "tests/support/http_fixture.hpp"
#include "tests/support/process.hpp"

using namespace hishamos;

TEST_CASE("with a certificate the admin API speaks HTTPS, verified against "
          "its CA, and refuses plain HTTP",
          "[http][auth][transport][tls]") {
  test::temp_dir dir;
  auto script = std::string{HISHAMOS_SOURCE_DIR} + "/deploy/make-test-certs.sh";
  for (const auto& args :
       {std::vector<std::string>{"/bin/bash", script, dir / "good", "n1"},
        std::vector<std::string>{"/bin/bash", script, dir / "rogue", "n1"}}) {
    auto made = test::run_process(args);
    INFO(made.out << made.err);
    REQUIRE(made.exit_code == 0);
  }
  auto n = test::start_node(test::test_options(dir));
  auto limits = test::test_limits();
  limits.tls_certificate = dir / "good/n1.pem";
  limits.tls_key = dir / "good/n1.key";
  admin::http_server http{*n, limits};
  auto port = http.start("127.0.0.1", 0);
  INFO((port ? "" : port.errors()[0].to_string()));
  REQUIRE(port);
  auto key = test::make_api_key(http.accounts(), "viewer");

  httplib::SSLClient verified{"127.0.0.1", *port};
  verified.set_ca_cert_path((dir / "good/ca.pem").c_str());
  verified.enable_server_certificate_verification(true);
  verified.set_default_headers({{"X-API-Key", key}});
  auto health = verified.Get("/health");
  REQUIRE(health);
  CHECK(health->status == 200);
  auto me = verified.Get("/api/v1/auth/me");
  REQUIRE(me);
  CHECK(me->status == 200);

  httplib::SSLClient wrong_ca{"127.0.0.1", *port};
  wrong_ca.set_ca_cert_path((dir / "rogue/ca.pem").c_str());
  wrong_ca.enable_server_certificate_verification(true);
  CHECK_FALSE(wrong_ca.Get("/health"));

  httplib::Client plain{"127.0.0.1", *port};
  plain.set_read_timeout(3, 0);
  auto answered = plain.Get("/health");
  CHECK((!answered || answered->status != 200));

  // With TLS, an address beyond loopback is allowed.
  admin::http_server wide{*n, limits};
  CHECK(wide.start("0.0.0.0", 0));
  // A certificate that cannot be read stops the start, naming it.
  auto broken = limits;
  broken.tls_key = dir / "missing.key";
  admin::http_server bad{*n, broken};
  auto refused = bad.start("127.0.0.1", 0);
  REQUIRE_FALSE(refused);
  CHECK_THAT(refused.errors()[0].to_string(), Catch::Contains("missing.key"));
}
