#pragma once

#include <string>

namespace hishamos::test {

/// The admin URL of the test PostgreSQL server ($HISHAMOS_TEST_PG_URL).
/// Fails the test, saying how to start one, when it is not set or the
/// server does not answer: a missing database is never a silent skip.
std::string pg_admin_url();

/// A database of its own for one test case, created from a template that
/// the production migrations built once (per schema version), and dropped
/// when the object goes away.
class pg_database {
public:
  pg_database();
  ~pg_database();
  pg_database(const pg_database&) = delete;
  pg_database& operator=(const pg_database&) = delete;

  /// postgresql:// URL of this database.
  const std::string& url() const { return url_; }
  /// Runs one SQL statement on this database and returns the first field of
  /// the first row ("" when there is none).
  std::string query(const std::string& sql) const;

private:
  std::string name_;
  std::string url_;
};

} // namespace hishamos::test
