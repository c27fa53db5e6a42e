// The dispatcher's agent directory at scale: agents hosted on demand (a
// record each, an actor only while it has a task), routing that scores a
// bounded number of many matching agents, and the directory's indexes
// staying true when agents leave from the middle.

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/agent.hpp"
#include "actors/dispatcher.hpp"
#include "actors/message_types.hpp"
#include "actors/messages.hpp"
#include "tests/support/catalog_fixture.hpp"
#include "tests/support/wait.hpp"

using namespace hishamos;
using hishamos::test::wait_until;

namespace {

model::agent_def worker(const std::string& id) {
  model::agent_def def;
  def.id = id;
  def.department = "pool";
  def.capabilities = {"work"};
  def.capacity = 1;
  return def;
}

actors::assign_step step(int n, const std::string& agent_id = "") {
  actors::assign_step s;
  s.task.task_id = "t" + std::to_string(n);
  s.task.execution_id = "e" + std::to_string(n);
  s.task.step_id = "s";
  s.task.template_id = "cmd_echo";
  s.task.params = R"({"text":"hi"})";
  s.task.prompt = "Echo hi";
  s.agent_id = agent_id;
  if (agent_id.empty()) {
    s.department = "pool";
    s.capabilities = {"work"};
  }
  s.workflow = "w";
  return s;
}

struct directory_fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::shared_ptr<model::catalog> catalog = test::make_catalog();
  actors::dispatcher_actor dispatcher;
  std::unique_ptr<caf::scoped_actor> self;
  std::mutex mx;
  std::vector<caf::actor> spawned; ///< By spawn_on_demand, in order.

  directory_fixture() {
    actors::add_message_types(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
    self = std::make_unique<caf::scoped_actor>(*sys);
  }
  ~directory_fixture() {
    self.reset();
    caf::anon_send_exit(dispatcher, caf::exit_reason::kill);
  }

  // Hosts `count` on-demand agents a0..a<count-1>.
  void host_on_demand(int count, int max_candidates = 32) {
    actors::dispatch_settings ds;
    ds.seed = 7;
    ds.max_candidates = max_candidates;
    for (int i = 0; i < count; ++i)
      ds.on_demand_agents.push_back(worker("a" + std::to_string(i)));
    ds.spawn_on_demand = [this](const model::agent_def& def) {
      auto a = actors::spawn_agent(*sys, {def, catalog, {}, {}, "n1", {}});
      std::lock_guard<std::mutex> guard{mx};
      spawned.push_back(a);
      return a;
    };
    dispatcher = actors::spawn_dispatcher(*sys, {}, std::move(ds));
  }

  size_t spawns() {
    std::lock_guard<std::mutex> guard{mx};
    return spawned.size();
  }

  model::task_reply assign(actors::assign_step s) {
    model::task_reply out;
    (*self)
        ->request(dispatcher, std::chrono::seconds{10}, std::move(s))
        .receive([&](model::task_reply& r) { out = std::move(r); },
                 [&](caf::error& e) { out.output = sys->render(e); });
    return out;
  }

  std::vector<model::agent_directory_entry> directory() {
    std::vector<model::agent_directory_entry> out;
    (*self)
        ->request(dispatcher, std::chrono::seconds{10},
                  actors::directory_atom::value)
        .receive(
            [&](std::vector<model::agent_directory_entry>& xs) {
              out = std::move(xs);
            },
            [](caf::error&) {});
    return out;
  }

  // True once `a` has terminated (a monitor on a dead actor reports at
  // once).
  bool terminates(const caf::actor& a) {
    (*self)->monitor(a);
    bool down = false;
    (*self)->receive(
        [&](caf::down_msg& dm) { down = dm.source == a.address(); },
        caf::after(std::chrono::seconds{10}) >> [] {});
    return down;
  }
};

// An agent that answers every task with its own name.
caf::behavior named(const std::string& name) {
  return {[name](const model::task_request& t) {
    model::task_reply r;
    r.task_id = t.task_id;
    r.ok = true;
    r.output = name;
    return r;
  }};
}

} // namespace

TEST_CASE("on-demand agents have an actor only while they have a task",
          "[actors][dispatch][agents]") {
  directory_fixture f;
  f.host_on_demand(10000);
  auto listed = f.directory();
  REQUIRE(listed.size() == 10000);
  CHECK(f.spawns() == 0);

  auto r = f.assign(step(1, "a4321"));
  REQUIRE(r.ok);
  CHECK(r.agent_id == "a4321");
  CHECK(r.output.find("Echo hi") != std::string::npos); // the real agent ran
  REQUIRE(f.spawns() == 1);
  // Its task ended: its actor stops, its record stays.
  CHECK(f.terminates(f.spawned.at(0)));
  CHECK(f.directory().size() == 10000);

  auto again = f.assign(step(2, "a4321"));
  REQUIRE(again.ok);
  CHECK(f.spawns() == 2); // a new actor for the new task
  CHECK(f.terminates(f.spawned.at(1)));

  auto any = f.assign(step(3));
  REQUIRE(any.ok);
  CHECK(any.agent_id.rfind("a", 0) == 0);
  CHECK(f.spawns() == 3);

  auto unknown = f.assign(step(4, "a10000"));
  CHECK_FALSE(unknown.ok);
  CHECK(unknown.output.find("no agent on this node matches agent 'a10000'") !=
        std::string::npos);
  CHECK(f.spawns() == 3);
}

TEST_CASE("routing scores at most max_candidates of many free agents, from a "
          "random place, so that every agent gets work",
          "[actors][dispatch][agents]") {
  directory_fixture f;
  f.host_on_demand(40, 4);
  std::set<std::string> chosen;
  for (int i = 0; i < 200; ++i) {
    auto r = f.assign(step(i));
    REQUIRE(r.ok);
    auto d = nlohmann::json::parse(r.decision);
    CHECK(d.at("candidate_count").get<int>() == 4);
    chosen.insert(r.agent_id);
  }
  // From 40 agents, 200 decisions over random runs of 4 reach nearly all.
  CHECK(chosen.size() >= 36);
}

TEST_CASE("agents that leave from the middle of the directory leave the "
          "others reachable by id, and a join replaces its namesake",
          "[actors][dispatch][agents]") {
  directory_fixture f;
  std::vector<std::pair<model::agent_def, caf::actor>> hosted;
  std::vector<caf::actor> actors;
  for (int i = 0; i < 6; ++i) {
    auto name = "a" + std::to_string(i);
    actors.push_back(f.sys->spawn(named, name));
    hosted.emplace_back(worker(name), actors.back());
  }
  f.dispatcher = actors::spawn_dispatcher(*f.sys, hosted);
  REQUIRE(f.directory().size() == 6);
  // The first and a middle one go down: the last ones move into their
  // places in the directory.
  caf::anon_send_exit(actors[0], caf::exit_reason::kill);
  caf::anon_send_exit(actors[2], caf::exit_reason::kill);
  REQUIRE(wait_until([&] { return f.directory().size() == 4; }));

  int n = 0;
  for (const auto* id : {"a1", "a3", "a4", "a5"}) {
    auto r = f.assign(step(++n, id));
    REQUIRE(r.ok);
    CHECK(r.agent_id == id);
    CHECK(r.output == id); // the actor behind the id is the right one
  }
  for (const auto* gone : {"a0", "a2"}) {
    auto r = f.assign(step(++n, gone));
    CHECK_FALSE(r.ok);
    CHECK(r.output.find("no agent on this node matches") != std::string::npos);
  }

  // A join under a known id replaces that agent (and only it).
  auto newcomer = f.sys->spawn(named, "a4-new");
  bool joined = false;
  (*f.self)
      ->request(f.dispatcher, std::chrono::seconds{10},
                actors::join_atom::value, worker("a4"), newcomer)
      .receive([&](bool ok) { joined = ok; }, [](caf::error&) {});
  REQUIRE(joined);
  CHECK(f.directory().size() == 4);
  CHECK(f.assign(step(++n, "a4")).output == "a4-new");
  CHECK(f.assign(step(++n, "a5")).output == "a5");
  CHECK(f.assign(step(++n, "a1")).output == "a1");
  for (auto& a : actors)
    caf::anon_send_exit(a, caf::exit_reason::kill);
  caf::anon_send_exit(newcomer, caf::exit_reason::kill);
}

namespace {

struct gate_state {
  static inline const char* name = "test.gate";
  std::vector<std::pair<std::string, caf::response_promise>> held;
  std::vector<std::string> started; ///< Task ids in the order they came.
};

// Holds every task until told to answer the oldest (caf::ok_atom), and
// says which tasks it was given (caf::get_atom).
caf::behavior gate(caf::stateful_actor<gate_state>* self) {
  return {
      [self](const model::task_request& t) {
        auto rp = self->make_response_promise();
        self->state.held.emplace_back(t.task_id, rp);
        self->state.started.push_back(t.task_id);
        return rp;
      },
      [self](caf::ok_atom) {
        if (self->state.held.empty())
          return;
        auto [id, rp] = self->state.held.front();
        self->state.held.erase(self->state.held.begin());
        model::task_reply r;
        r.task_id = id;
        r.ok = true;
        r.output = "done";
        rp.deliver(r);
      },
      [self](caf::get_atom) { return self->state.started; },
  };
}

} // namespace

TEST_CASE("a freed agent takes the highest-priority step waiting for it, "
          "and a step for a free agent starts at once while others wait",
          "[actors][dispatch][agents]") {
  directory_fixture f;
  auto busy = f.sys->spawn(gate);
  auto other = f.sys->spawn(gate);
  auto def = worker("busy");
  auto free_def = worker("other");
  free_def.department = "elsewhere";
  f.dispatcher =
      actors::spawn_dispatcher(*f.sys, {{def, busy}, {free_def, other}});
  auto started_on = [&](const caf::actor& a) {
    std::vector<std::string> out;
    (*f.self)
        ->request(a, std::chrono::seconds{10}, caf::get_atom::value)
        .receive([&](std::vector<std::string>& xs) { out = std::move(xs); },
                 [](caf::error&) {});
    return out;
  };
  // The busy agent takes the first step; three more wait for it, the
  // last with the highest priority.
  auto send_step = [&](int n, int priority, const std::string& agent) {
    auto s = step(n, agent);
    s.priority = priority;
    f.self->ptr()->send(f.dispatcher, std::move(s));
  };
  send_step(1, 0, "busy");
  REQUIRE(wait_until([&] { return started_on(busy).size() == 1; }));
  send_step(2, 0, "busy");
  send_step(3, 1, "busy");
  send_step(4, 50, "busy");
  // A step for the free agent starts at once, the queue notwithstanding.
  send_step(5, 0, "other");
  REQUIRE(wait_until([&] { return started_on(other).size() == 1; }));
  // Its end frees an agent no waiting step asks for: nothing starts.
  caf::anon_send(other, caf::ok_atom::value);
  send_step(6, 0, "other"); // (serialised behind that answer)
  REQUIRE(wait_until([&] { return started_on(other).size() == 2; }));
  CHECK(started_on(busy) == std::vector<std::string>{"t1"});
  // The busy agent's end: the waiting steps follow by priority.
  for (size_t k = 2; k <= 4; ++k) {
    caf::anon_send(busy, caf::ok_atom::value);
    REQUIRE(wait_until([&] { return started_on(busy).size() == k; }));
  }
  CHECK(started_on(busy) == std::vector<std::string>{"t1", "t4", "t3", "t2"});
  caf::anon_send(busy, caf::ok_atom::value);
  caf::anon_send(other, caf::ok_atom::value);
  caf::anon_send_exit(busy, caf::exit_reason::kill);
  caf::anon_send_exit(other, caf::exit_reason::kill);
}

TEST_CASE("this node's part of the directory lists its own agents, not those "
          "on demand, and every load it placed, also after agents leave from "
          "the middle",
          "[actors][dispatch][agents]") {
  directory_fixture f;
  std::vector<std::pair<model::agent_def, caf::actor>> hosted;
  std::vector<caf::actor> gates;
  for (int i = 0; i < 6; ++i) {
    gates.push_back(f.sys->spawn(gate));
    hosted.emplace_back(worker("a" + std::to_string(i)), gates.back());
  }
  actors::dispatch_settings ds;
  ds.spawn_on_demand = [&f](const model::agent_def& def) {
    return f.sys->spawn(named, def.id);
  };
  f.dispatcher = actors::spawn_dispatcher(*f.sys, hosted, std::move(ds));
  auto part = [&] {
    std::set<std::string> agents;
    std::map<std::string, int> loads;
    (*f.self)
        ->request(f.dispatcher, std::chrono::seconds{10},
                  actors::sync_atom::value)
        .receive(
            [&](actors::directory_update& u) {
              for (const auto& a : u.agents)
                agents.insert(a.def.id);
              for (const auto& l : u.loads)
                loads[l.agent_id] = l.load;
            },
            [](caf::error&) {});
    return std::make_pair(agents, loads);
  };
  auto started = [&](int i) {
    std::vector<std::string> xs;
    (*f.self)
        ->request(gates[i], std::chrono::seconds{10}, caf::get_atom::value)
        .receive([&](std::vector<std::string>& got) { xs = std::move(got); },
                 [](caf::error&) {});
    return xs.size();
  };
  // Tasks held by a3 and a5.
  caf::anon_send(f.dispatcher, step(1, "a3"));
  caf::anon_send(f.dispatcher, step(2, "a5"));
  REQUIRE(wait_until([&] { return started(3) == 1 && started(5) == 1; }));
  auto [agents, loads] = part();
  CHECK(agents == std::set<std::string>{"a0", "a1", "a2", "a3", "a4", "a5"});
  CHECK(loads == std::map<std::string, int>{{"a3", 1}, {"a5", 1}});

  // a0 leaves: a5, the last, moves into its place, and keeps its load.
  caf::anon_send_exit(gates[0], caf::exit_reason::kill);
  REQUIRE(wait_until([&] { return part().first.size() == 5; }));
  std::tie(agents, loads) = part();
  CHECK(agents == std::set<std::string>{"a1", "a2", "a3", "a4", "a5"});
  CHECK(loads == std::map<std::string, int>{{"a3", 1}, {"a5", 1}});

  // Agents on demand join; one runs a task and keeps no load. None is
  // listed, also once one of them moves into the place of a1.
  bool joined = false;
  (*f.self)
      ->request(f.dispatcher, std::chrono::seconds{10},
                actors::join_atom::value,
                std::vector<model::agent_def>{worker("b0"), worker("b1")})
      .receive([&](bool ok) { joined = ok; }, [](caf::error&) {});
  REQUIRE(joined);
  REQUIRE(f.assign(step(3, "b0")).ok);
  caf::anon_send_exit(gates[1], caf::exit_reason::kill);
  REQUIRE(wait_until([&] { return part().first.size() == 4; }));
  std::tie(agents, loads) = part();
  CHECK(agents == std::set<std::string>{"a2", "a3", "a4", "a5"});
  CHECK(loads == std::map<std::string, int>{{"a3", 1}, {"a5", 1}});

  // a5's task ends: only a3's load is left.
  caf::anon_send(gates[5], caf::ok_atom::value);
  REQUIRE(wait_until([&] { return part().second.size() == 1; }));
  CHECK(part().second == std::map<std::string, int>{{"a3", 1}});
  for (auto& g : gates)
    caf::anon_send_exit(g, caf::exit_reason::kill);
}
