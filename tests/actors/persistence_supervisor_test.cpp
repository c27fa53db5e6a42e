// The persistence supervisor on a real actor system and a real SQLite store.

#include <catch2/catch.hpp>

#include <chrono>
#include <optional>

#include <caf/all.hpp>

#include "actors/message_types.hpp"
#include "actors/persistence_supervisor.hpp"
#include "persistence/open_store.hpp"
#include "tests/support/gated_store.hpp"
#include "tests/support/temp_dir.hpp"

using namespace hishamos;
using std::chrono::milliseconds;

namespace {

struct fixture {
  test::temp_dir dir;
  std::string url = "sqlite:" + (dir / "s.db");
  std::shared_ptr<test::gate> g = std::make_shared<test::gate>();
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  actors::persistence_actor supervisor;

  explicit fixture(milliseconds answer_within) {
    auto s = persistence::open_store(url);
    REQUIRE(s);
    REQUIRE(s.value->migrate());
    actors::add_message_types(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
    supervisor = actors::spawn_persistence_supervisor(
        *sys, test::gated_factory(url, g),
        std::make_shared<actors::node_metrics>(), 1, answer_within);
  }

  // A failed REQUIRE must not leave a writer blocked on the gate, or the
  // actor system waiting for the supervisor.
  ~fixture() {
    g->release();
    caf::anon_send_exit(supervisor, caf::exit_reason::user_shutdown);
  }

  // Asks the supervisor to store `cp`; what it answered, or nothing within
  // ten seconds.
  std::optional<actors::store_ack> save(const persistence::checkpoint& cp) {
    caf::scoped_actor self{*sys};
    std::optional<actors::store_ack> out;
    self->request(supervisor, std::chrono::seconds{10}, cp)
        .receive([&](actors::store_ack& ack) { out = std::move(ack); },
                 [](caf::error&) {});
    return out;
  }
};

persistence::checkpoint checkpoint_of(const std::string& step) {
  persistence::checkpoint cp;
  cp.execution_id = "0123456789abcdef0123456789abcdef";
  cp.step_id = step;
  cp.attempt = 1;
  cp.epoch = 1;
  return cp;
}

} // namespace

TEST_CASE("a checkpoint the store holds past the answer limit is answered "
          "unavailable, for its sender to send again, and the writer serves "
          "the next once the store moves",
          "[actors][persistence][supervision]") {
  fixture f{milliseconds{200}};
  f.g->close();
  auto asked = std::chrono::steady_clock::now();
  auto first = f.save(checkpoint_of("a"));
  auto waited = std::chrono::steady_clock::now() - asked;
  REQUIRE(first);
  CHECK(first->code == persistence::errc::unavailable);
  CHECK_THAT(first->message,
             Catch::Contains("has not answered within 200 ms; send again"));
  // The answer came from the supervisor, not the store: the writer still
  // holds the checkpoint, and the limit had passed.
  CHECK(f.g->holds("a"));
  CHECK(waited >= milliseconds{200});
  f.g->release();
  // The held commit finishes (its late ack is dropped), and the next
  // request gets the store's own answer.
  auto second = f.save(checkpoint_of("b"));
  REQUIRE(second);
  CHECK(second->code != persistence::errc::unavailable);
  CHECK(f.g->count(&test::gate::transactions) == 2);
}

TEST_CASE("a checkpoint the store commits within the answer limit gets the "
          "store's answer",
          "[actors][persistence][supervision]") {
  fixture f{milliseconds{200}};
  auto ack = f.save(checkpoint_of("a"));
  REQUIRE(ack);
  CHECK(ack->code != persistence::errc::unavailable);
  CHECK_THAT(ack->message, !Catch::Contains("has not answered"));
}
