#pragma once

// One scenario shared by the SQLite and PostgreSQL test binaries.

#include <catch2/catch.hpp>

#include "tests/support/gated_store.hpp"
#include "tests/support/node_fixture.hpp"
#include "tests/support/wait.hpp"

namespace hishamos::test {

/// 200 checkpoints of one execution wait while the first commit is held;
/// released, they commit in far fewer transactions, all acknowledged.
inline void check_group_commit(const std::string& store_url) {
  temp_dir dir;
  auto g = std::make_shared<gate>();
  auto cat = make_catalog();
  auto wide = *model::parse_agent("{id: wide, capacity: 200}", "t");
  cat->agents[wide.id] = wide;
  auto options = test_options(dir, cat);
  options.config.store_url = store_url;
  options.store_factory = gated_factory(store_url, g);
  auto n = start_node(std::move(options));
  std::string yaml = "name: Many\nsteps:\n";
  for (int i = 0; i < 200; ++i)
    yaml +=
        "  - {id: s" + std::to_string(i) +
        ", agent_id: wide, command_template_id: cmd_echo, params: {text: x}}\n";
  event_log log;
  g->close();
  auto id = n->submit(workflow(yaml), {}, log.observer());
  REQUIRE(id);
  REQUIRE(wait_until([&] {
    auto x = n->execution(*id).value;
    return x &&
           std::all_of(x->steps.begin(), x->steps.end(), [](const auto& s) {
             return s.state == "checkpointing";
           });
  }));
  g->release();
  REQUIRE(wait_until([&] { return log.finished(); }));
  CHECK(log.outcome().state == "completed");
  CHECK(g->count(&gate::checkpoints) == 200);
  CHECK(g->count(&gate::transactions) <= 10);
  auto x = n->execution(*id).value;
  REQUIRE(x);
  for (const auto& s : x->steps)
    CHECK(s.state == "completed");
  CHECK_THAT(n->metrics_text(),
             Catch::Contains("hishamos_checkpoint_batch_size_count"));
}

} // namespace hishamos::test
