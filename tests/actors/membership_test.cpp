// The membership handshake, in process: what a peer's hello must be for
// this node to accept it.

#include <catch2/catch.hpp>

#include <cmath>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/dispatcher.hpp"
#include "actors/membership.hpp"
#include "actors/message_types.hpp"
#include "actors/messages.hpp"
#include "admin/json_views.hpp"
#include "tests/support/wait.hpp"

using namespace hishamos;

namespace {

struct membership_fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  actors::dispatcher_actor dispatcher;
  caf::actor membership;
  caf::actor remote_agent;                 ///< Stands in for a peer's agent.
  std::unique_ptr<caf::scoped_actor> peer; ///< The peer's membership.

  membership_fixture() {
    actors::add_message_types(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
    actors::dispatch_settings ds;
    ds.wait_for_peers = true;
    dispatcher = actors::spawn_dispatcher(*sys, {}, ds);
    membership =
        actors::spawn_membership(*sys, {"n1", "127.0.0.1:1", dispatcher, {}});
    remote_agent = sys->spawn(
        []() -> caf::behavior { return {[](const model::task_request&) {}}; });
    peer = std::make_unique<caf::scoped_actor>(*sys);
  }
  ~membership_fixture() {
    peer.reset();
    caf::anon_send_exit(dispatcher, caf::exit_reason::kill);
    for (auto* a : {&membership, &remote_agent})
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

  // Membership's own list of peers; a round trip that also orders what the
  // test sent it before against what it asks the dispatcher after.
  nlohmann::json peers() {
    caf::scoped_actor self{*sys};
    nlohmann::json out;
    self->request(membership, std::chrono::seconds{5},
                  actors::directory_atom::value)
        .receive(
            [&](std::vector<model::peer_entry>& xs) {
              out = admin::to_json(xs);
            },
            [](caf::error&) {});
    return out;
  }

  std::string directory() {
    caf::scoped_actor self{*sys};
    std::string out;
    self->request(dispatcher, std::chrono::seconds{5},
                  actors::directory_atom::value)
        .receive(
            [&](std::vector<model::agent_directory_entry>& xs) {
              out = admin::to_json(xs).dump();
            },
            [](caf::error&) {});
    return out;
  }

  nlohmann::json learned() {
    caf::scoped_actor self{*sys};
    nlohmann::json out = nlohmann::json::array();
    self->request(dispatcher, std::chrono::seconds{5},
                  actors::stats_atom::value)
        .receive(
            [&](std::vector<model::quality_entry>& xs) {
              out = admin::to_json(xs);
            },
            [](caf::error&) {});
    return out;
  }

  actors::hello peer_hello() {
    model::agent_def def;
    def.id = "a9";
    def.capacity = 3;
    return {actors::protocol_version,
            "n2",
            "127.0.0.1:2",
            {{def, remote_agent}},
            remote_agent, // stands in for the peer's lock authority
            1};
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

namespace {

model::agent_def agent_def(const std::string& id, int capacity) {
  model::agent_def def;
  def.id = id;
  def.capacity = capacity;
  return def;
}

// The directory entry of agent `id`, or null.
nlohmann::json entry(const nlohmann::json& dir, const std::string& id) {
  for (const auto& a : dir)
    if (a["id"] == id)
      return a;
  return nullptr;
}

} // namespace

TEST_CASE("a peer's periodic update adds the agents it registered since it "
          "joined, removes the ones it dropped and takes its loads",
          "[actors][membership]") {
  membership_fixture f;
  REQUIRE(f.greet(f.peer_hello()).empty());
  auto later = f.sys->spawn(
      []() -> caf::behavior { return {[](const model::task_request&) {}}; });
  actors::directory_update u{actors::protocol_version,
                             "n2",
                             {{agent_def("a10", 2), later}},
                             {{"a10", "n2", 1}}};
  (*f.peer)->send(f.membership, u);
  nlohmann::json dir;
  REQUIRE(test::wait_until([&] {
    dir = nlohmann::json::parse(f.directory());
    return dir.size() == 1 && dir[0]["id"] == "a10";
  }));
  CHECK(dir[0]["node"] == "n2");
  CHECK(dir[0]["load"] == 1); // placed by n2's dispatcher
  CHECK(dir[0]["load_from_here"] == 0);
  caf::anon_send_exit(later, caf::exit_reason::kill);
}

TEST_CASE("a peer's learned quality is added to this node's for routing — "
          "an update with invalid evidence is dropped",
          "[actors][membership][routing]") {
  membership_fixture f;
  REQUIRE(f.greet(f.peer_hello()).empty());
  caf::anon_send(f.dispatcher, actors::rate_atom::value, std::string{"a9"},
                 std::string{"cat"}, 1.0); // this node's own evidence
  auto with = [&](double successes) {
    actors::directory_update u{actors::protocol_version,
                               "n2",
                               {{agent_def("a9", 3), f.remote_agent}},
                               {}};
    u.learned.push_back({"a9", "cat", successes, 2.0, "n2"});
    return u;
  };
  (*f.peer)->send(f.membership, with(std::nan("")));
  (*f.peer)->send(f.membership, with(4.0));
  nlohmann::json learned;
  REQUIRE(test::wait_until([&] {
    learned = f.learned();
    return learned.size() == 1 && learned[0]["failures"] == 2.0;
  }));
  CHECK(learned[0]["agent"] == "a9");
  CHECK(learned[0]["successes"] == 5.0); // 1 here + 4 on n2, never NaN
  CHECK(learned[0]["here"]["successes"] == 1.0);
  // This node tells its peers its own part only.
  caf::scoped_actor self{*f.sys};
  actors::directory_update own;
  self->request(f.dispatcher, std::chrono::seconds{5}, actors::sync_atom::value)
      .receive([&](actors::directory_update& u) { own = std::move(u); },
               [](caf::error&) {});
  REQUIRE(own.learned.size() == 1);
  CHECK(own.learned[0].successes == 1.0);
  CHECK(own.learned[0].failures == 0.0);
}

TEST_CASE("a directory update from an actor that is not an accepted peer is "
          "dropped",
          "[actors][membership][wire]") {
  membership_fixture f;
  REQUIRE(f.greet(f.peer_hello()).empty());
  REQUIRE(test::wait_until(
      [&] { return nlohmann::json::parse(f.directory()).size() == 1; }));
  caf::scoped_actor stranger{*f.sys};
  actors::directory_update forged{actors::protocol_version, "n2", {}, {}};
  stranger->send(f.membership, forged); // would remove a9
  actors::directory_update unknown_node{actors::protocol_version,
                                        "n5",
                                        {{agent_def("a5", 1), f.remote_agent}},
                                        {}};
  stranger->send(f.membership, unknown_node);
  // The peer's own update after both: if either had been taken, the
  // directory would not hold exactly a9 with load 2.
  (*f.peer)->send(f.membership, actors::directory_update{
                                    actors::protocol_version,
                                    "n2",
                                    {{agent_def("a9", 3), f.remote_agent}},
                                    {{"a9", "n2", 2}}});
  nlohmann::json dir;
  REQUIRE(test::wait_until([&] {
    dir = nlohmann::json::parse(f.directory());
    return dir.size() == 1 && dir[0]["load"] == 2;
  }));
  CHECK(dir[0]["id"] == "a9");
  CHECK(entry(dir, "a5").is_null());
}

TEST_CASE("every heartbeat, membership tells each peer the agents this node "
          "hosts now, including ones registered after start",
          "[actors][membership]") {
  membership_fixture f;
  REQUIRE(f.greet(f.peer_hello()).empty());
  auto local = f.sys->spawn(
      []() -> caf::behavior { return {[](const model::task_request&) {}}; });
  caf::scoped_actor self{*f.sys};
  self->request(f.dispatcher, std::chrono::seconds{5}, actors::join_atom::value,
                agent_def("late", 4), local)
      .receive([](bool) {}, [](caf::error&) { FAIL("join failed"); });
  caf::anon_send(f.membership, actors::peers_atom::value,
                 std::vector<actors::peer_address>{{"n2", "127.0.0.1", 2}});
  actors::directory_update got;
  (*f.peer)->receive([&](actors::directory_update& u) { got = std::move(u); },
                     caf::after(std::chrono::seconds{5}) >>
                         [] { FAIL("no update"); });
  CHECK(got.node_id == "n1");
  CHECK(got.protocol == actors::protocol_version);
  REQUIRE(got.agents.size() == 1);
  CHECK(got.agents[0].def.id == "late");
  CHECK(got.agents[0].handle == local);
  caf::anon_send_exit(local, caf::exit_reason::kill);
}

namespace {

struct holding_agent_state {
  static inline const char* name = "test.holding_agent";
  int received = 0;
  std::vector<std::pair<std::string, caf::response_promise>> held;
};

// An agent that holds every task until told to answer them all.
caf::behavior holding_agent(caf::stateful_actor<holding_agent_state>* self) {
  return {
      [self](const model::task_request& t) {
        ++self->state.received;
        auto rp = self->make_response_promise();
        self->state.held.emplace_back(t.task_id, rp);
        return rp;
      },
      [self](actors::complete_atom) {
        for (auto& [id, rp] : self->state.held) {
          model::task_reply r;
          r.task_id = id;
          r.ok = true;
          r.output = "held";
          rp.deliver(std::move(r));
        }
        self->state.held.clear();
        return self->state.received;
      },
  };
}

} // namespace

TEST_CASE("a periodic update that lists an agent already known leaves its "
          "running task alone",
          "[actors][membership]") {
  membership_fixture f;
  auto agent = f.sys->spawn(holding_agent);
  auto h = f.peer_hello();
  h.agents[0].handle = agent;
  REQUIRE(f.greet(h).empty());
  REQUIRE(test::wait_until(
      [&] { return nlohmann::json::parse(f.directory()).size() == 1; }));
  caf::scoped_actor exec{*f.sys};
  actors::assign_step step;
  step.task.task_id = "t1";
  step.task.execution_id = "e1";
  step.task.step_id = "s1";
  step.task.attempt = 1;
  step.agent_id = "a9";
  exec->send(f.dispatcher, step);
  REQUIRE(test::wait_until([&] {
    auto dir = nlohmann::json::parse(f.directory());
    return dir.size() == 1 && dir[0]["load_from_here"] == 1;
  }));
  (*f.peer)->send(
      f.membership,
      actors::directory_update{actors::protocol_version, "n2", h.agents, {}});
  // The update is handled before what the test sends the dispatcher next.
  REQUIRE(test::wait_until(
      [&] { return nlohmann::json::parse(f.directory())[0]["load"] == 1; }));
  int received = 0;
  exec->request(agent, std::chrono::seconds{5}, actors::complete_atom::value)
      .receive([&](int n) { received = n; }, [](caf::error&) {});
  CHECK(received == 1); // not requeued and sent again
  model::task_reply reply;
  exec->receive([&](model::task_reply& r) { reply = std::move(r); },
                caf::after(std::chrono::seconds{5}) >> [] {});
  CHECK(reply.ok);
  CHECK(reply.output == "held");
  caf::anon_send_exit(agent, caf::exit_reason::kill);
}

TEST_CASE("a peer that is no longer among the live nodes of the table lost "
          "its lease and its agents leave the directory",
          "[actors][membership]") {
  membership_fixture f;
  REQUIRE(f.greet(f.peer_hello()).empty());
  REQUIRE(test::wait_until(
      [&] { return nlohmann::json::parse(f.directory()).size() == 1; }));
  // The first table may have been read before the peer joined; the
  // second was read after.
  caf::anon_send(f.membership, actors::peers_atom::value,
                 std::vector<actors::peer_address>{});
  CHECK(f.peers().size() == 1);
  REQUIRE(nlohmann::json::parse(f.directory()).size() == 1);
  caf::anon_send(f.membership, actors::peers_atom::value,
                 std::vector<actors::peer_address>{});
  CHECK(f.peers().empty());
  CHECK(nlohmann::json::parse(f.directory()).empty());
  // Once it renews its lease and greets again, its agents are back.
  CHECK(f.greet(f.peer_hello()).empty());
  REQUIRE(test::wait_until(
      [&] { return nlohmann::json::parse(f.directory()).size() == 1; }));
}

TEST_CASE("an accepted peer hears this node's features — an error or a "
          "message membership does not know, sent by a peer, leaves it "
          "running",
          "[actors][membership][wire]") {
  membership_fixture f;
  REQUIRE(f.greet(f.peer_hello()).empty());
  // After the hello's answer: the features, as the next release reads them.
  std::string features;
  (*f.peer)->receive(
      [&](actors::features_atom, const std::string& node,
          const std::string& names) {
        CHECK(node == "n1");
        features = names;
      },
      caf::after(std::chrono::seconds{5}) >> [] {});
  CHECK(features == actors::node_features);
  // What a node of an earlier release answers to them, and a message of a
  // later one: neither stops membership.
  auto& peer = *f.peer;
  peer->send(f.membership, caf::make_error(caf::sec::unexpected_message));
  peer->send(f.membership, actors::trace_atom::value, 42);
  // From the same sender, so after both: membership still answers.
  size_t peers = 0;
  peer->request(f.membership, std::chrono::seconds{5},
                actors::directory_atom::value)
      .receive([&](std::vector<model::peer_entry>& xs) { peers = xs.size(); },
               [](caf::error&) {});
  CHECK(peers == 1);
}
