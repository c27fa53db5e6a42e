// `hishamos backup` and `hishamos restore` as real processes on both
// stores: a round trip keeps every execution and checkpoint and the
// store's identity, never overwrites a backup and never restores over a
// store that holds something.

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>

#include "persistence/open_store.hpp"
#include "persistence/store.hpp"
#include "tests/support/pg_fixture.hpp"
#include "tests/support/process.hpp"
#include "tests/support/store_reads.hpp"
#include "tests/support/temp_dir.hpp"

using namespace hishamos;

namespace {

test::process_result hishamos_cli(const std::vector<std::string>& args) {
  std::vector<std::string> argv{HISHAMOS_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return test::run_process(argv);
}

// Every execution's id, state and checkpoints' outputs, in order.
std::vector<std::string> contents(const std::string& url) {
  auto store = persistence::open_store(url);
  REQUIRE(store);
  std::vector<std::string> out;
  for (const auto& x : test::all_executions(*store.value)) {
    out.push_back(x.id + " " + persistence::to_string(x.state));
    for (const auto& cp : store.value->checkpoints(x.id).value)
      out.push_back(cp.step_id + ": " + cp.output);
  }
  std::sort(out.begin(), out.end());
  return out;
}

void round_trip(const std::string& from, const std::string& into,
                const test::temp_dir& dir) {
  auto demo = std::string{HISHAMOS_SOURCE_DIR} +
              "/config/catalog/workflows/build_new_feature.yaml";
  for (const char* feature : {"feature=backups", "feature=restores"})
    REQUIRE(hishamos_cli({"run", demo, "--store", from, "--input", feature})
                .exit_code == 0);
  auto file = dir / "store.backup";
  auto backed = hishamos_cli({"backup", file, "--store", from});
  INFO(backed.out << backed.err);
  REQUIRE(backed.exit_code == 0);
  CHECK_THAT(backed.out,
             Catch::Contains("backed up 2 executions, 10 checkpoints"));
  CHECK(backed.out.find("hishamos:hishamos@") == std::string::npos);

  auto again = hishamos_cli({"backup", file, "--store", from});
  CHECK(again.exit_code == 2);
  CHECK_THAT(again.err, Catch::Contains("never overwrites"));

  auto restored = hishamos_cli({"restore", file, "--store", into});
  INFO(restored.out << restored.err);
  REQUIRE(restored.exit_code == 0);
  // The same store, identity included.
  auto id_at = backed.out.find("(store ");
  CHECK_THAT(restored.out, Catch::Contains(backed.out.substr(
                               id_at, backed.out.find(')') - id_at)));
  CHECK(contents(into) == contents(from));
  CHECK(hishamos_cli({"audit", "verify", "--store", into}).exit_code == 0);

  auto over = hishamos_cli({"restore", file, "--store", into});
  CHECK(over.exit_code == 2);
  CHECK_THAT(over.err, Catch::Contains("is not empty"));
  CHECK(contents(into) == contents(from)); // untouched
  auto missing = hishamos_cli({"restore", dir / "nope", "--store", into});
  CHECK(missing.exit_code == 2);
}

} // namespace

TEST_CASE("an SQLite store backed up and restored holds the same executions "
          "and checkpoints",
          "[cli][backup]") {
  test::temp_dir dir;
  round_trip("sqlite:" + (dir / "a.db"), "sqlite:" + (dir / "b.db"), dir);
}

TEST_CASE("a PostgreSQL store backed up with pg_dump and restored with "
          "pg_restore holds the same executions and checkpoints",
          "[cli][backup][pg]") {
  test::temp_dir dir;
  test::pg_database from, into;
  round_trip(from.url(), into.url(), dir);
}
