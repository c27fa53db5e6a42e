// An agent checks what it is sent: tasks may come from other nodes.

#include <catch2/catch.hpp>

#include <caf/all.hpp>

#include "actors/agent.hpp"
#include "actors/message_types.hpp"
#include "actors/messages.hpp"
#include "tests/support/catalog_fixture.hpp"

using namespace hishamos;

namespace {

struct agent_fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::actor agent;

  agent_fixture() {
    actors::add_message_types(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
    auto cat = test::make_catalog();
    actors::agent_settings s;
    s.def = cat->agents.at("fast");
    s.catalog = cat;
    s.node_id = "n1";
    agent = actors::spawn_agent(*sys, std::move(s));
  }
  ~agent_fixture() { caf::anon_send_exit(agent, caf::exit_reason::kill); }

  model::task_reply ask(const model::task_request& t) {
    caf::scoped_actor self{*sys};
    model::task_reply out;
    self->request(agent, std::chrono::seconds{5}, t)
        .receive([&](model::task_reply& r) { out = std::move(r); },
                 [&](caf::error& e) { out.output = sys->render(e); });
    return out;
  }
};

model::task_request valid() {
  model::task_request t;
  t.task_id = "t1";
  t.execution_id = "e1";
  t.step_id = "s1";
  t.template_id = "cmd_echo";
  t.params = R"({"text": "hi"})";
  t.epoch = 1;
  return t;
}

} // namespace

TEST_CASE("an agent runs a well-formed task", "[actors][agent]") {
  agent_fixture f;
  auto r = f.ask(valid());
  INFO(r.output);
  CHECK(r.ok);
}

TEST_CASE("an agent refuses a malformed task with a final error",
          "[actors][agent][wire]") {
  agent_fixture f;
  auto no_ids = valid();
  no_ids.execution_id.clear();
  auto bad_attempt = valid();
  bad_attempt.attempt = 0;
  auto bad_params = valid();
  bad_params.params = "{not json";
  for (const auto& t : {no_ids, bad_attempt, bad_params}) {
    auto r = f.ask(t);
    CHECK_FALSE(r.ok);
    CHECK_FALSE(r.retryable);
    CHECK_THAT(r.output, Catch::StartsWith("malformed task: "));
  }
}

TEST_CASE("an agent drops a message it does not understand and keeps working",
          "[actors][agent][wire]") {
  agent_fixture f;
  caf::scoped_actor self{*f.sys};
  bool refused = false;
  self->request(f.agent, std::chrono::seconds{5}, std::string{"garbage"}, 42)
      .receive(
          [](const caf::message&) {},
          [&](caf::error& e) { refused = e == caf::sec::unexpected_message; });
  CHECK(refused);
  CHECK(f.ask(valid()).ok); // still alive
}
