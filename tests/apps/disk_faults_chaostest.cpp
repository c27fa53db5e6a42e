// A node's own disk and log with real processes: EIO on the writes of its
// SQLite store (injected with libfiu's POSIX preload, switched on and off
// in the running process with fiu-ctrl), a full disk under its log, and
// the log as JSON lines for collectors.

#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>
#include <sstream>
#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "tests/support/node_cluster.hpp"
#include "tests/support/pg_fixture.hpp"
#include "tests/support/small_disk.hpp"
#include "tests/support/store_reads.hpp"
#include "tests/support/wait.hpp"

using namespace hishamos;
using test::wait_until;

namespace {

constexpr size_t diamond_steps = 4;

// Turns libfiu's fault points of `points` on (errno `err`) or off in the
// process `pid`, which runs under `fiu-run -x -f <control>`.
void switch_faults(const std::string& control, pid_t pid,
                   const std::vector<std::string>& points, int err) {
  std::vector<std::string> argv{"fiu-ctrl", "-f", control};
  for (const auto& p : points) {
    argv.push_back("-c");
    argv.push_back(err ? "enable name=" + p + ",failinfo=" + std::to_string(err)
                       : "disable name=" + p);
  }
  argv.push_back(std::to_string(pid));
  auto done = test::run_process(argv);
  INFO(done.out << done.err);
  REQUIRE(done.exit_code == 0);
}

int status_of(httplib::Client& client, const std::string& path) {
  auto res = client.Get(path.c_str());
  return res ? res->status : -1;
}

} // namespace

SCENARIO("EIO on a node's SQLite writes takes it out of service (503 on "
         "/ready and on new work) without losing what it stored, and it "
         "goes on once the fault is lifted",
         "[chaos][disk][pg]") {
  test::pg_database ledger; // the effect ledger: off the faulty disk
  test::temp_dir dir;
  test::node_cluster c{"sqlite:" + (dir / "store.db"), 50, ledger.url()};
  int port = test::free_port();
  auto control = c.dir / "fiu";
  test::node_spec spec;
  spec.wrapper = {"fiu-run", "-x", "-f", control};
  auto node = c.start("n1", port, spec);
  c.submit(port, 20);
  auto store = c.open_store();
  REQUIRE(wait_until([&] { return test::committed_steps(*store) >= 10; }));

  // The calls SQLite writes and syncs its files with fail with EIO (its
  // log and the HTTP server write with write(2) and send(2): they go on).
  const std::vector<std::string> writes{
      "posix/io/rw/pwrite", "posix/io/sync/fsync", "posix/io/sync/fdatasync"};
  switch_faults(control, node->pid(), writes, EIO);
  httplib::Client client{"127.0.0.1", port};
  client.set_default_headers({{"X-API-Key", c.api_key}});
  REQUIRE(wait_until([&] { return status_of(client, "/ready") == 503; }));
  auto ready = client.Get("/ready");
  REQUIRE(ready);
  CHECK_THAT(ready->body, Catch::Contains("disk I/O error"));
  auto refused = client.Post("/api/v1/workflows/Diamond/execute", "{}",
                             "application/json");
  REQUIRE(refused);
  INFO(refused->body);
  CHECK(refused->status == 503);
  CHECK(refused->has_header("Retry-After"));
  CHECK(status_of(client, "/health") == 200); // alive: not to be restarted
  auto stored = test::committed_steps(*store);
  auto executions = test::all_executions(*store).size();

  switch_faults(control, node->pid(), writes, 0);
  REQUIRE(wait_until([&] { return status_of(client, "/ready") == 200; }));
  CHECK(test::committed_steps(*store) >= stored);
  c.submit(port, 5);
  REQUIRE(wait_until([&] { return test::all_completed(*store); },
                     std::chrono::seconds{30}));
  CHECK(test::all_executions(*store).size() == executions + 5);
  CHECK(node->running());
  test::check_ledger(c, *store, diamond_steps);
}

SCENARIO("a full disk under a node's log does not stop it: work goes on, "
         "the lines lost are counted, and the log says so once there is "
         "room again",
         "[chaos][disk]") {
  test::temp_dir dir;
  test::node_cluster c{"sqlite:" + (dir / "store.db"), 20};
  std::filesystem::create_directories(c.dir / "logs");
  test::small_disk disk{c.dir / "logs", "1m"};
  int port = test::free_port();
  test::node_spec spec;
  spec.log_file = c.dir / "logs/n1.log";
  auto node = c.start("n1", port, spec);
  REQUIRE(test::fill_disk(c.dir / "logs/filler"));

  httplib::Client client{"127.0.0.1", port};
  // Each refused credential is a warning in the log, which has no room
  // (beyond what is left of the log file's last page: 200 lines are more).
  client.set_default_headers({{"X-API-Key", "hk_wrong"}});
  for (int i = 0; i < 200; ++i) {
    auto res = client.Get("/api/v1/executions");
    REQUIRE(res);
    CHECK(res->status == 401);
  }
  c.submit(port, 10);
  auto store = c.open_store();
  REQUIRE(wait_until([&] { return test::all_completed(*store); },
                     std::chrono::seconds{30}));
  CHECK(test::metric_value(port, "hishamos_log_lines_dropped_total",
                           c.api_key) >= 100);

  std::filesystem::remove(c.dir / "logs/filler"); // room again
  auto res = client.Get("/api/v1/executions");
  REQUIRE(res);
  REQUIRE(wait_until([&] {
    return test::read_text(spec.log_file).find("could not be written") !=
           std::string::npos;
  }));
  CHECK_THAT(test::read_text(spec.log_file),
             Catch::Contains("(No space left on device) and are lost"));
  CHECK(node->running());
  test::check_ledger(c, *store, diamond_steps);
}

SCENARIO("with log.format json every log line is one JSON object with its "
         "time, level, node and message",
         "[chaos][log]") {
  test::temp_dir dir;
  test::node_cluster c{"sqlite:" + (dir / "store.db"), 20};
  int port = test::free_port();
  test::node_spec spec;
  spec.env["HISHAMOS_LOG_FORMAT"] = "json";
  auto node = c.start("n1", port, spec);
  httplib::Client client{"127.0.0.1", port};
  client.set_default_headers({{"X-API-Key", "hsk_wrong\"and\\odd"}});
  auto res = client.Get("/api/v1/executions");
  REQUIRE(res);
  CHECK(res->status == 401);
  REQUIRE(wait_until([&] {
    return c.log("n1").find("refused a credential") != std::string::npos;
  }));
  node->kill_and_wait(SIGTERM); // its last lines: stopping
  size_t objects = 0;
  bool refusal = false;
  std::istringstream log{c.log("n1")};
  for (std::string line; std::getline(log, line);) {
    INFO(line);
    CHECK(line.rfind("[20", 0) != 0); // no text log line
    if (line.empty() || line[0] != '{')
      continue; // the start banner, for people, on standard error
    auto x = nlohmann::json::parse(line);
    CHECK(x["node"] == "n1");
    CHECK(x["ts"].get<std::string>().size() == 24); // 2026-12-03T19:11:44.694Z
    CHECK_FALSE(x["level"].get<std::string>().empty());
    refusal = refusal || x["msg"].get<std::string>().find(
                             "refused a credential") != std::string::npos;
    ++objects;
  }
  CHECK(objects >= 3);
  CHECK(refusal);
}
