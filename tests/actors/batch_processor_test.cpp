// The batch processor on a real actor system and a real SQLite store.

#include <catch2/catch.hpp>

#include <caf/all.hpp>

#include "actors/batch_processor.hpp"
#include "actors/message_types.hpp"
#include "actors/messages.hpp"
#include "persistence/open_store.hpp"
#include "tests/support/gated_store.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"

using namespace hishamos;
using hishamos::test::wait_until;

namespace {

struct fixture {
  test::temp_dir dir;
  std::string url = "sqlite:" + (dir / "b.db");
  std::shared_ptr<test::gate> g = std::make_shared<test::gate>();
  std::shared_ptr<actors::node_metrics> metrics =
      std::make_shared<actors::node_metrics>();
  std::unique_ptr<persistence::store> reader;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::vector<caf::actor> spawned;

  fixture() {
    auto s = persistence::open_store(url);
    REQUIRE(s);
    REQUIRE(s.value->migrate());
    reader = std::move(s.value);
    actors::add_message_types(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
  }

  // A failed REQUIRE must not leave a processor that keeps the system up.
  ~fixture() {
    for (auto& p : spawned)
      caf::anon_send_exit(p, caf::exit_reason::kill);
  }

  caf::actor spawn(size_t max_batch, std::chrono::milliseconds interval) {
    actors::batch_settings bs;
    bs.max_batch = max_batch;
    bs.interval = interval;
    bs.factory = test::gated_factory(url, g);
    bs.metrics = metrics;
    spawned.push_back(caf::actor_cast<caf::actor>(
        actors::spawn_batch_processor(*sys, std::move(bs))));
    return spawned.back();
  }

  // One agent_stats row per agent: each record below names its own.
  std::int64_t rows() {
    return static_cast<std::int64_t>(reader->agent_stats().value.size());
  }

  void send(const caf::actor& p, int n) {
    for (int i = 0; i < n; ++i)
      caf::anon_send(
          p, persistence::agent_stat_record{"a" + std::to_string(sent++),
                                            "writing", 1, 0, "n1"});
  }
  int sent = 0;
};

constexpr std::chrono::hours never{1};

} // namespace

TEST_CASE("the batch processor writes a batch when max_batch records wait",
          "[actors][batch]") {
  fixture f;
  auto p = f.spawn(100, never);
  f.send(p, 100); // the interval never passes: only the size can trigger
  REQUIRE(wait_until([&] { return f.rows() == 100; }));
  // The count follows the commit's acknowledgement, a moment after it.
  CHECK(wait_until([&] {
    return f.metrics->serialize().find(
               "hishamos_batch_records_written_total 100") != std::string::npos;
  }));
  f.send(p, 30); // fewer than max_batch: they wait
  caf::anon_send_exit(p, caf::exit_reason::user_shutdown);
  REQUIRE(wait_until([&] { return f.rows() == 130; })); // written at shutdown
}

TEST_CASE("the batch processor keeps one waiting record per agent, category "
          "and node, the newest, and writes it as one row",
          "[actors][batch]") {
  fixture f;
  auto p = f.spawn(10, never);
  // 500 totals of one agent: were each kept, max_batch would write 50
  // batches; kept as one, nothing is written until shutdown.
  for (int i = 1; i <= 500; ++i)
    caf::anon_send(
        p, persistence::agent_stat_record{"a", "writing", double(i), 0, "n1"});
  f.send(p, 1); // another agent: a second key
  caf::anon_send_exit(p, caf::exit_reason::user_shutdown);
  REQUIRE(wait_until([&] { return f.rows() == 2; }));
  CHECK(wait_until([&] {
    return f.metrics->serialize().find(
               "hishamos_batch_records_written_total 2\n") != std::string::npos;
  }));
  for (const auto& r : f.reader->agent_stats().value)
    if (r.agent_id == "a")
      CHECK(r.successes == 500); // the newest total, not an earlier one
}

TEST_CASE("the batch processor writes waiting records after the interval",
          "[actors][batch]") {
  fixture f;
  auto p = f.spawn(100, std::chrono::milliseconds{100});
  f.send(p, 5);
  REQUIRE(wait_until([&] { return f.rows() == 5; }));
  caf::anon_send_exit(p, caf::exit_reason::user_shutdown);
}

TEST_CASE("the batch processor writes what it holds when it stops",
          "[actors][batch]") {
  fixture f;
  auto p = f.spawn(100, never);
  f.send(p, 7);
  caf::anon_send_exit(p, caf::exit_reason::user_shutdown);
  REQUIRE(wait_until([&] { return f.rows() == 7; }));
}

TEST_CASE("a failed batch write is retried, not dropped", "[actors][batch]") {
  fixture f;
  f.g->fail_appends = 2;
  auto p = f.spawn(10, never);
  f.send(p, 10);
  REQUIRE(wait_until([&] { return f.rows() == 10; }));
  CHECK_THAT(f.metrics->serialize(), // both failures preceded the success
             Catch::Contains("hishamos_batch_write_failures_total 2"));
  caf::anon_send_exit(p, caf::exit_reason::user_shutdown);
}
