#pragma once

// Who watches which execution: the executions of this node publish their
// step events here (cheaply when nobody watches), and watchers (the SSE
// stream of the admin API) get them as they happen. Executions that run on
// another node are watched through the store (runtime/read_views.cpp polls
// them). Thread-safe: events come from actor threads.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "hishamos/api_types.hpp"
#include "model/events.hpp"

namespace hishamos::runtime {

class event_hub {
public:
  using callback = std::function<void(const execution_event&)>;

  /// Calls `fn` with every event of `execution_id` until the returned
  /// handle is released.
  [[nodiscard]] std::shared_ptr<void> watch(const std::string& execution_id,
                                            callback fn);
  /// A step event from an execution actor (kinds: started, result,
  /// completed, retrying, failed).
  void step(const model::step_event& e);
  /// An execution reached its terminal state.
  void finished(const model::execution_finished& e);
  /// Publishes an event as it is (the store poller's).
  void publish(const execution_event& e);
  /// Execution ids watched now.
  [[nodiscard]] std::vector<std::string> watched();

private:
  struct watcher {
    std::uint64_t id;
    callback fn;
  };
  void remove(const std::string& execution_id, std::uint64_t id);

  std::mutex mx_;
  std::map<std::string, std::vector<watcher>> by_execution_;
  std::uint64_t next_ = 0;
  std::atomic<int> count_{0}; ///< Lets executions skip the lock when 0.
};

/// The public name of an execution actor's event kind: started ->
/// started, result -> completed, completed (its checkpoint committed) ->
/// checkpointed, retrying -> retried, failed -> failed.
[[nodiscard]] std::string public_kind(const std::string& actor_kind);

} // namespace hishamos::runtime
