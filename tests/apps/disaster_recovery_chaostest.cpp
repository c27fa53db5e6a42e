// The disaster-recovery drill of docs/operations.md with a private
// PostgreSQL: a base backup and continuous WAL archiving, the database
// lost, point-in-time recovery to a moment, and a node started on the
// result.

#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>
#include <iostream>
#include <set>

#include <pwd.h>
#include <unistd.h>

#include "persistence/open_store.hpp"
#include "tests/support/node_cluster.hpp"
#include "tests/support/pg_fixture.hpp"
#include "tests/support/private_pg.hpp"
#include "tests/support/process.hpp"
#include "tests/support/store_reads.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"

using namespace hishamos;
using test::wait_until;

namespace {

// A directory the server (user postgres when the tests run as root) can
// archive WAL segments into.
std::string archive_dir(const test::temp_dir& dir) {
  auto archive = dir / "wal-archive";
  std::filesystem::create_directories(archive);
  if (geteuid() == 0) {
    auto* pw = getpwnam("postgres");
    REQUIRE(pw != nullptr);
    REQUIRE(chown(dir.path().c_str(), pw->pw_uid, pw->pw_gid) == 0);
    REQUIRE(chown(archive.c_str(), pw->pw_uid, pw->pw_gid) == 0);
  }
  return archive;
}

std::string sql(const std::string& url, const std::string& query) {
  auto r = test::run_process({"psql", url, "-Atc", query});
  INFO(query << ": " << r.err);
  REQUIRE(r.exit_code == 0);
  return r.out.substr(0, r.out.find('\n'));
}

std::set<std::string> execution_ids(const std::string& url) {
  auto s = persistence::open_store(url);
  REQUIRE(s);
  std::set<std::string> out;
  for (const auto& x : test::all_executions(*s.value))
    out.insert(x.id);
  return out;
}

} // namespace

SCENARIO("point-in-time recovery from a base backup and archived WAL to a "
         "moment keeps every execution acknowledged before it, resumes the "
         "unfinished ones, and the audit chain verifies",
         "[chaos][pg][dr]") {
  test::temp_dir dir;
  auto archive = archive_dir(dir);
  // Copy, then rename: a segment is in the archive whole or not at all (a
  // crash mid-copy once left a short one there, which recovery refuses).
  auto archive_command = "archive_command='test ! -f " + archive +
                         "/%f && cp %p " + archive + "/%f.part && mv " +
                         archive + "/%f.part " + archive + "/%f'";
  test::private_pg server{{"archive_mode=on", archive_command}};
  test::pg_database ledger; // the test agents' ledger, off the lost server
  test::node_cluster c{server.url(), 200, ledger.url()};
  int port = test::free_port();
  auto node = c.start("n1", port);
  c.submit(port, 10);
  auto store = c.open_store();
  REQUIRE(wait_until([&] { return test::all_completed(*store); },
                     std::chrono::seconds{30}));
  server.base_backup();

  // After the backup: ten more complete, ten are in flight at the moment.
  c.submit(port, 10);
  REQUIRE(wait_until([&] { return test::all_completed(*store); },
                     std::chrono::seconds{30}));
  c.submit(port, 10);
  REQUIRE(wait_until([&] { return !test::unfinished(*store).empty(); }));
  auto before = execution_ids(server.url());
  auto moment = sql(server.url(), "SELECT now()::text");
  REQUIRE(before.size() == 30);
  REQUIRE_FALSE(test::unfinished(*store).empty()); // mid-run at the moment
  // Work after the moment, which the recovery is to leave out.
  c.submit(port, 5);
  REQUIRE(wait_until([&] { return execution_ids(server.url()).size() == 35; }));
  auto segment = sql(server.url(), "SELECT pg_walfile_name(pg_switch_wal())");
  REQUIRE(wait_until(
      [&] { return std::filesystem::exists(archive + "/" + segment); },
      std::chrono::seconds{30}));

  node->kill_and_wait(SIGKILL); // the node and the database are lost
  store.reset();
  auto t0 = std::chrono::steady_clock::now();
  server.recover_to(moment, archive);
  node = c.start("n1", port);
  store = c.open_store();
  REQUIRE(wait_until([&] { return test::all_completed(*store); },
                     std::chrono::seconds{60}));
  std::chrono::duration<double> recovery =
      std::chrono::steady_clock::now() - t0;

  CHECK(execution_ids(server.url()) == before); // nothing after the moment
  for (const auto& x : test::all_executions(*store))
    CHECK(store->checkpoints(x.id).value.size() == 4); // each step once
  auto verify = test::run_process(
      {HISHAMOS_BINARY, "audit", "verify", "--store", server.url()});
  INFO(verify.out << verify.err);
  CHECK(verify.exit_code == 0);
  std::cout << "disaster-recovery drill: " << before.size()
            << " executions acknowledged before the moment, all there and "
               "completed; recovered and resumed in "
            << recovery.count() << " s\n";
}
