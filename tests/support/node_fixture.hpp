#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "hishamos/node.hpp"
#include "tests/support/catalog_fixture.hpp"
#include "tests/support/temp_dir.hpp"

namespace hishamos::test {

/// Records every step event and the final outcome of executions.
class event_log {
public:
  model::execution_observer observer();
  std::vector<model::step_event> events();
  /// Events of one step and kind, in order.
  std::vector<model::step_event> of(const std::string& step,
                                    const std::string& kind);
  bool finished();
  model::execution_finished outcome();

private:
  std::mutex mx_;
  std::vector<model::step_event> events_;
  std::unique_ptr<model::execution_finished> finished_;
};

/// Node options over a fresh SQLite store in `dir` and the test catalog.
node_options test_options(const temp_dir& dir,
                          std::shared_ptr<model::catalog> cat = make_catalog());

/// Starts a node; fails the test with the problems if it cannot.
std::unique_ptr<node> start_node(node_options options);

} // namespace hishamos::test
