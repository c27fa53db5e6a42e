// The lock authority in process: order, sharing, timeouts, a node that
// leaves, syncs after a change of authority, and settling.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/lock_authority.hpp"
#include "actors/message_types.hpp"
#include "actors/messages.hpp"

using namespace hishamos;
using actors::lock_ask;

namespace {

struct authority_fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::actor authority;
  /// Dispatchers of nodes n1 and n2.
  std::unique_ptr<caf::scoped_actor> n1, n2;

  explicit authority_fixture(
      std::chrono::milliseconds settle = std::chrono::seconds{3},
      bool wait_to_be_named = false) {
    actors::add_message_types(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
    authority = actors::spawn_lock_authority(*sys, {settle, wait_to_be_named});
    n1 = std::make_unique<caf::scoped_actor>(*sys);
    n2 = std::make_unique<caf::scoped_actor>(*sys);
  }
  ~authority_fixture() {
    n1.reset();
    n2.reset();
    caf::anon_send_exit(authority, caf::exit_reason::kill);
  }

  static lock_ask ask(const std::string& task, const std::string& node,
                      const std::string& resource, bool exclusive = true,
                      double order = 0, std::int64_t timeout_ms = 0) {
    return {task,
            node,
            "step '" + task + "' of execution e-" + task,
            {{resource, exclusive}},
            order,
            timeout_ms};
  }

  // The authority's held and waiting task ids; a round trip, so that
  // everything sent to it before is handled.
  std::pair<std::vector<std::string>, std::vector<std::string>> state() {
    caf::scoped_actor self{*sys};
    model::lock_table_snapshot out;
    self->request(authority, std::chrono::seconds{5},
                  actors::directory_atom::value)
        .receive([&](model::lock_table_snapshot& s) { out = std::move(s); },
                 [](caf::error&) {});
    std::vector<std::string> held, waiting;
    for (const auto& e : out.held)
      held.push_back(e.task_id);
    std::sort(held.begin(), held.end());
    for (const auto& e : out.waiting)
      waiting.push_back(e.task_id);
    return {held, waiting};
  }

  // The next grant `client` receives (fails the test after 5 s).
  static std::string next_grant(caf::scoped_actor& client) {
    std::string got;
    client->receive(
        [&](actors::lock_granted_atom, std::string& id) { got = id; },
        caf::after(std::chrono::seconds{5}) >> [] {});
    return got;
  }
};

using ids = std::vector<std::string>;

} // namespace

TEST_CASE("the lock authority grants conflicting requests one at a time, "
          "the highest order first",
          "[actors][locks][unit]") {
  authority_fixture f;
  auto& c = *f.n1;
  c->send(f.authority, f.ask("a", "n1", "repo"));
  CHECK(f.next_grant(c) == "a");
  c->send(f.authority, f.ask("low", "n1", "repo", true, 1));
  c->send(f.authority, f.ask("high", "n1", "repo", true, 5));
  CHECK(f.state() == std::pair{ids{"a"}, ids{"high", "low"}});
  c->send(f.authority, actors::lock_release_atom::value, std::string{"a"});
  CHECK(f.next_grant(c) == "high");
  CHECK(f.state() == std::pair{ids{"high"}, ids{"low"}});
  c->send(f.authority, actors::lock_release_atom::value, std::string{"high"});
  CHECK(f.next_grant(c) == "low");
}

TEST_CASE("shared locks are held together — an exclusive request waits for "
          "all of them and holds back shared requests behind it",
          "[actors][locks][unit]") {
  authority_fixture f;
  auto& c = *f.n1;
  c->send(f.authority, f.ask("s1", "n1", "db", false, 3));
  c->send(f.authority, f.ask("s2", "n1", "db", false, 3));
  CHECK(f.next_grant(c) == "s1");
  CHECK(f.next_grant(c) == "s2");
  c->send(f.authority, f.ask("x", "n1", "db", true, 2));
  c->send(f.authority, f.ask("s3", "n1", "db", false, 1));
  CHECK(f.state() == std::pair{ids{"s1", "s2"}, ids{"x", "s3"}});
  c->send(f.authority, actors::lock_release_atom::value, std::string{"s1"});
  c->send(f.authority, actors::lock_release_atom::value, std::string{"s2"});
  CHECK(f.next_grant(c) == "x");
  CHECK(f.state() == std::pair{ids{"x"}, ids{"s3"}});
}

TEST_CASE("a request that waits past its timeout is denied with the holder "
          "named, and the ones it held back go on",
          "[actors][locks][unit]") {
  authority_fixture f;
  auto& c = *f.n1;
  c->send(f.authority, f.ask("a", "n1", "repo"));
  CHECK(f.next_grant(c) == "a");
  c->send(f.authority, f.ask("b", "n1", "repo", true, 0, 50));
  std::string denied, holders;
  c->receive(
      [&](actors::lock_denied_atom, std::string& id, std::string& who) {
        denied = id;
        holders = who;
      },
      caf::after(std::chrono::seconds{5}) >> [] {});
  CHECK(denied == "b");
  CHECK(holders == "step 'a' of execution e-a");
  CHECK(f.state() == std::pair{ids{"a"}, ids{}});
}

TEST_CASE("a node that leaves has its locks freed and its requests dropped",
          "[actors][locks][unit]") {
  authority_fixture f;
  (*f.n2)->send(f.authority, f.ask("theirs", "n2", "repo"));
  CHECK(f.next_grant(*f.n2) == "theirs");
  (*f.n2)->send(f.authority, f.ask("theirs-too", "n2", "repo"));
  (*f.n1)->send(f.authority, f.ask("mine", "n1", "repo", true, -1));
  CHECK(f.state() == std::pair{ids{"theirs"}, ids{"theirs-too", "mine"}});
  caf::anon_send(f.authority, actors::leave_atom::value, std::string{"n2"});
  CHECK(f.next_grant(*f.n1) == "mine");
  CHECK(f.state() == std::pair{ids{"mine"}, ids{}});
}

TEST_CASE("a sync replaces all the authority knew of a node: what it no "
          "longer holds is freed, what it holds elsewhere is taken as held",
          "[actors][locks][unit]") {
  authority_fixture f;
  (*f.n2)->send(f.authority, f.ask("stale", "n2", "repo"));
  CHECK(f.next_grant(*f.n2) == "stale");
  (*f.n1)->send(f.authority, f.ask("mine", "n1", "repo"));
  // n2 comes back from another authority, holding only "db".
  (*f.n2)->send(f.authority,
                actors::lock_sync{"n2", {f.ask("db-holder", "n2", "db")}, {}});
  CHECK(f.next_grant(*f.n1) == "mine");
  CHECK(f.state() == std::pair{ids{"db-holder", "mine"}, ids{}});
  (*f.n1)->send(f.authority, f.ask("db-waiter", "n1", "db"));
  CHECK(f.state() == std::pair{ids{"db-holder", "mine"}, ids{"db-waiter"}});
}

TEST_CASE("a new authority grants nothing until every member synced what "
          "it held under the previous one",
          "[actors][locks][unit]") {
  authority_fixture f;
  caf::anon_send(f.authority, actors::authority_atom::value,
                 std::vector<std::string>{"n1", "n2"});
  (*f.n1)->send(f.authority,
                actors::lock_sync{"n1", {}, {f.ask("w", "n1", "repo")}});
  // n2 has not synced: it may hold repo under the previous authority.
  CHECK(f.state() == std::pair{ids{}, ids{"w"}});
  (*f.n2)->send(f.authority,
                actors::lock_sync{"n2", {f.ask("h", "n2", "repo")}, {}});
  CHECK(f.state() == std::pair{ids{"h"}, ids{"w"}}); // it did
  (*f.n2)->send(f.authority, actors::lock_release_atom::value,
                std::string{"h"});
  CHECK(f.next_grant(*f.n1) == "w");
}

TEST_CASE("a cluster node's authority that a peer syncs with before "
          "membership named it grants nothing until named, then waits for "
          "the other members",
          "[actors][locks][unit]") {
  authority_fixture f{std::chrono::seconds{3}, true};
  // n2 saw the old authority's node go first and turned here at once.
  (*f.n2)->send(f.authority,
                actors::lock_sync{"n2", {}, {f.ask("w", "n2", "repo")}});
  CHECK(f.state() == std::pair{ids{}, ids{"w"}});
  // Named: n1, this authority's own node, still holds repo unsynced.
  caf::anon_send(f.authority, actors::authority_atom::value,
                 std::vector<std::string>{"n1", "n2"});
  CHECK(f.state() == std::pair{ids{}, ids{"w"}});
  (*f.n1)->send(f.authority,
                actors::lock_sync{"n1", {f.ask("h", "n1", "repo")}, {}});
  CHECK(f.state() == std::pair{ids{"h"}, ids{"w"}});
  (*f.n1)->send(f.authority, actors::lock_release_atom::value,
                std::string{"h"});
  CHECK(f.next_grant(*f.n2) == "w");
}

TEST_CASE("a new authority that hears nothing from a member grants after "
          "its settle timeout",
          "[actors][locks][unit]") {
  authority_fixture f{std::chrono::milliseconds{100}};
  caf::anon_send(f.authority, actors::authority_atom::value,
                 std::vector<std::string>{"n1", "n2"});
  (*f.n1)->send(f.authority,
                actors::lock_sync{"n1", {}, {f.ask("w", "n1", "repo")}});
  CHECK(f.state() == std::pair{ids{}, ids{"w"}});
  CHECK(f.next_grant(*f.n1) == "w");
}

TEST_CASE("a malformed lock request is dropped and breaks nothing",
          "[actors][locks][unit][wire]") {
  authority_fixture f;
  auto& c = *f.n1;
  auto nan = f.ask("nan", "n1", "repo", true, std::nan(""));
  auto none = f.ask("none", "n1", "repo");
  none.locks.clear();
  auto unnamed = f.ask("unnamed", "n1", "");
  for (const auto& bad : {nan, none, unnamed})
    c->send(f.authority, bad);
  c->send(f.authority, f.ask("good", "n1", "repo"));
  CHECK(f.next_grant(c) == "good");
  CHECK(f.state() == std::pair{ids{"good"}, ids{}});
}
