// The membership handshake, in process: what a peer's hello must be for
// this node to accept it.

#include <catch2/catch.hpp>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/dispatcher.hpp"
#include "actors/membership.hpp"
#include "actors/message_types.hpp"
#include "actors/messages.hpp"
#include "tests/support/wait.hpp"

using namespace hishamos;

namespace {

struct membership_fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::actor dispatcher;
  caf::actor membership;
  caf::actor remote_agent;                 ///< Stands in for a peer's agent.
  std::unique_ptr<caf::scoped_actor> peer; ///< The peer's membership.

  membership_fixture() {
    actors::add_message_types(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
    dispatcher = actors::spawn_dispatcher(*sys, {}, true);
    membership =
        actors::spawn_membership(*sys, {"n1", "127.0.0.1:1", dispatcher, {}});
    remote_agent = sys->spawn(
        []() -> caf::behavior { return {[](const model::task_request&) {}}; });
    peer = std::make_unique<caf::scoped_actor>(*sys);
  }
  ~membership_fixture() {
    peer.reset();
    for (auto* a : {&dispatcher, &membership, &remote_agent})
      caf::anon_send_exit(*a, caf::exit_reason::kill);
  }

  // Sends `h` as a peer's membership actor would; the error text, or ""
  // when accepted. The peer stays alive with the fixture: membership
  // monitors it and drops its agents when it goes down.
  std::string greet(const actors::hello& h) {
    auto& self = *peer;
    std::string refused;
    self->request(membership, std::chrono::seconds{5}, h)
        .receive([](const actors::hello&) {},
                 [&](caf::error& e) { refused = sys->render(e); });
    return refused;
  }

  std::string directory() {
    caf::scoped_actor self{*sys};
    std::string out;
    self->request(dispatcher, std::chrono::seconds{5},
                  actors::directory_atom::value)
        .receive([&](std::string& s) { out = std::move(s); },
                 [](caf::error&) {});
    return out;
  }

  actors::hello peer_hello() {
    model::agent_def def;
    def.id = "a9";
    def.capacity = 3;
    return {
        actors::protocol_version, "n2", "127.0.0.1:2", {{def, remote_agent}}};
  }
};

} // namespace

TEST_CASE("a peer with another protocol version is refused with the reason",
          "[actors][membership][wire]") {
  membership_fixture f;
  auto h = f.peer_hello();
  h.protocol = actors::protocol_version + 1;
  auto refused = f.greet(h);
  CHECK_THAT(refused, Catch::Contains("refused by node n1"));
  CHECK_THAT(refused,
             Catch::Contains("protocol version " + std::to_string(h.protocol)));
  CHECK(nlohmann::json::parse(f.directory()).empty()); // no agents taken
}

TEST_CASE("a hello without node id, with this node's id or with a broken "
          "agent entry is refused",
          "[actors][membership][wire]") {
  membership_fixture f;
  auto no_id = f.peer_hello();
  no_id.node_id.clear();
  auto same_id = f.peer_hello();
  same_id.node_id = "n1";
  auto bad_agent = f.peer_hello();
  bad_agent.agents[0].def.capacity = 0;
  for (const auto& h : {no_id, same_id, bad_agent})
    CHECK_FALSE(f.greet(h).empty());
  CHECK(nlohmann::json::parse(f.directory()).empty());
}

TEST_CASE("a valid peer's agents join the directory under its node id",
          "[actors][membership]") {
  membership_fixture f;
  CHECK(f.greet(f.peer_hello()).empty());
  nlohmann::json dir;
  REQUIRE(test::wait_until([&] {
    dir = nlohmann::json::parse(f.directory());
    return dir.size() == 1;
  }));
  CHECK(dir[0]["id"] == "a9");
  CHECK(dir[0]["node"] == "n2");
  CHECK(dir[0]["capacity"] == 3);
}
