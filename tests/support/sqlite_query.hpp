#pragma once

// SQL on an SQLite store file behind its owner's back, for tests that
// tamper with a store or read what it holds. Header-only: a test that
// includes it links SQLite already.

#include <string>

#include <catch2/catch.hpp>
#include <sqlite3.h>

namespace hishamos::test {

/// Runs `sql` (one statement or several) on the SQLite file `file`; the
/// first field of the first row, "" when there is none. Fails the test
/// when the file does not open or the SQL fails.
inline std::string sqlite_query(const std::string& file,
                                const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
  std::string first;
  auto keep_first = [](void* out, int n, char** values, char**) {
    auto& s = *static_cast<std::string*>(out);
    if (s.empty() && n > 0 && values[0])
      s = values[0];
    return 0;
  };
  char* error = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), keep_first, &first, &error);
  INFO(sql << ": " << (error ? error : ""));
  sqlite3_free(error);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
  return first;
}

} // namespace hishamos::test
