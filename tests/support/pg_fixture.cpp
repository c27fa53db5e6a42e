#include "tests/support/pg_fixture.hpp"
#include "persistence/open_store.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <random>

#include <pqxx/pqxx>

#include "persistence/migrations.hpp"
#include "persistence/store.hpp"

namespace hishamos::test {

namespace {

// Replaces the database name at the end of a postgresql:// URL.
std::string with_database(const std::string& url, const std::string& db) {
  auto slash = url.rfind('/');
  auto query = url.find('?', slash);
  return url.substr(0, slash + 1) + db +
         (query == std::string::npos ? "" : url.substr(query));
}

// Names the template after the migrations' content, so a changed schema
// gets a fresh template and concurrent test processes share one.
std::string template_name() {
  std::uint64_t h = 1469598103934665603ull;
  for (const auto& m : persistence::pg_migrations())
    for (const char* p = m.sql; *p; ++p)
      h = (h ^ static_cast<unsigned char>(*p)) * 1099511628211ull;
  return "hishamos_tpl_" + std::to_string(h % 1000000007ull);
}

void ensure_template(const std::string& admin, const std::string& name) {
  pqxx::connection c{admin};
  pqxx::nontransaction tx{c};
  tx.exec("SELECT pg_advisory_lock(7265625)"); // one builder across processes
  auto exists =
      tx.exec_params("SELECT 1 FROM pg_database WHERE datname = $1", name);
  if (exists.empty()) {
    tx.exec0("CREATE DATABASE " + tx.quote_name(name + "_build"));
    {
      auto s = persistence::open_store(with_database(admin, name + "_build"));
      REQUIRE(s);
      auto st = s.value->migrate();
      INFO(st.message);
      REQUIRE(st);
    }
    tx.exec0("ALTER DATABASE " + tx.quote_name(name + "_build") +
             " RENAME TO " + tx.quote_name(name));
  }
  tx.exec("SELECT pg_advisory_unlock(7265625)");
}

} // namespace

std::string pg_admin_url() {
  const char* url = std::getenv("HISHAMOS_TEST_PG_URL");
  INFO(
      "PostgreSQL tests need HISHAMOS_TEST_PG_URL, e.g. "
      "postgresql://hishamos:hishamos@localhost:5432/postgres; `./dev.sh test` "
      "starts a server and sets it (see deploy/start-services.sh)");
  REQUIRE(url != nullptr);
  return url;
}

pg_database::pg_database() {
  auto admin = pg_admin_url();
  auto tpl = template_name();
  try {
    ensure_template(admin, tpl);
    std::random_device rd;
    name_ = "hishamos_test_" + std::to_string(rd()) + std::to_string(rd());
    pqxx::connection c{admin};
    pqxx::nontransaction tx{c};
    tx.exec0("CREATE DATABASE " + tx.quote_name(name_) + " TEMPLATE " +
             tx.quote_name(tpl));
  } catch (const std::exception& e) {
    FAIL("cannot create a test database on "
         << persistence::redact_url(admin) << ": " << e.what()
         << "; start PostgreSQL (./dev.sh test does)");
  }
  url_ = with_database(admin, name_);
}

pg_database::~pg_database() {
  try {
    pqxx::connection c{pg_admin_url()};
    pqxx::nontransaction tx{c};
    tx.exec0("DROP DATABASE IF EXISTS " + tx.quote_name(name_) +
             " WITH (FORCE)");
  } catch (const std::exception&) {
    // Leftover databases are named hishamos_test_*; they do no harm.
  }
}

std::string pg_database::query(const std::string& sql) const {
  pqxx::connection c{url_};
  pqxx::nontransaction tx{c};
  auto r = tx.exec(sql);
  return r.empty() || r[0].empty() || r[0][0].is_null() ? "" : r[0][0].c_str();
}

} // namespace hishamos::test
