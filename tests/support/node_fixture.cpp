#include "tests/support/node_fixture.hpp"

#include <stdexcept>

namespace hishamos::test {

model::execution_observer event_log::observer() {
  return {[this](const model::step_event& e) {
            std::lock_guard<std::mutex> guard{mx_};
            events_.push_back(e);
          },
          [this](const model::execution_finished& f) {
            std::lock_guard<std::mutex> guard{mx_};
            finished_ = std::make_unique<model::execution_finished>(f);
          }};
}

std::vector<model::step_event> event_log::events() {
  std::lock_guard<std::mutex> guard{mx_};
  return events_;
}

std::vector<model::step_event> event_log::of(const std::string& step,
                                             const std::string& kind) {
  std::vector<model::step_event> out;
  for (const auto& e : events())
    if (e.step_id == step && e.kind == kind)
      out.push_back(e);
  return out;
}

bool event_log::finished() {
  std::lock_guard<std::mutex> guard{mx_};
  return finished_ != nullptr;
}

model::execution_finished event_log::outcome() {
  std::lock_guard<std::mutex> guard{mx_};
  return finished_ ? *finished_ : model::execution_finished{};
}

node_options test_options(const temp_dir& dir,
                          std::shared_ptr<model::catalog> cat) {
  node_options o;
  o.config.node_id = "test";
  o.config.store_url = "sqlite:" + (dir / "store.db");
  o.catalog = std::move(cat);
  o.scheduler_threads = 2;
  return o;
}

std::unique_ptr<node> start_node(node_options options) {
  auto n = node::start(std::move(options));
  if (!n)
    throw std::runtime_error("node did not start: " +
                             model::to_string(n.errors()));
  return std::move(*n);
}

} // namespace hishamos::test
