// The execution registry with real actors: an execution that has ended by
// the time it is registered (one that fails at once) is removed again, and
// registering it does not wait on the registry's own lock; an execution's
// end removes its own entry only.

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include <caf/all.hpp>

#include "runtime/execution_registry.hpp"
#include "tests/support/wait.hpp"

using namespace hishamos;

namespace {

// Plain actors stand in for executions: the registry only spawns them,
// attaches to them and hands their handles out.
struct registry_fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  runtime::execution_registry registry{0};
};

} // namespace

TEST_CASE_METHOD(registry_fixture,
                 "an execution that ended before it was registered is "
                 "removed, and registering it returns",
                 "[actors][registry]") {
  // An actor that quits at once, seen terminated before add() attaches to
  // it: CAF then runs the exit hook at once, in add()'s own thread.
  auto ended = [&] {
    auto a = sys.spawn([](caf::event_based_actor* self) { self->quit(); });
    caf::scoped_actor watcher{sys};
    watcher->monitor(a);
    watcher->receive([](const caf::down_msg&) {});
    return caf::actor_cast<actors::execution_actor>(a);
  };
  std::atomic<bool> returned{false}, exited{false};
  // In a thread of its own: the failure this guards against is add()
  // waiting forever on a lock it holds itself.
  std::thread adder{[&] {
    registry.add("e1", ended, [&] { exited = true; });
    returned = true;
  }};
  if (!test::wait_until([&] { return returned.load(); })) {
    // Stuck for good, holding the actor that the actor system's end would
    // wait for: say so and end the process, failed.
    std::fprintf(stderr, "FAILED: execution_registry::add did not return "
                         "(it waits on a lock it holds)\n");
    std::_Exit(1);
  }
  adder.join();
  CHECK(exited);
  CHECK(registry.size() == 0);
  CHECK_FALSE(registry.find("e1"));
}

TEST_CASE_METHOD(registry_fixture,
                 "an execution's end removes its own entry, not a later one's "
                 "under the same id",
                 "[actors][registry]") {
  auto idle = [&] {
    return caf::actor_cast<actors::execution_actor>(sys.spawn(
        [](caf::event_based_actor*) -> caf::behavior { return {[](int) {}}; }));
  };
  std::atomic<bool> first_ended{false};
  auto first = registry.add("e1", idle, [&] { first_ended = true; });
  auto second = registry.add("e1", idle, {}); // it runs here again
  caf::anon_send_exit(first, caf::exit_reason::user_shutdown);
  REQUIRE(test::wait_until([&] { return first_ended.load(); }));
  CHECK(registry.find("e1") == second);
  caf::anon_send_exit(second, caf::exit_reason::user_shutdown);
  CHECK(test::wait_until([&] { return registry.size() == 0; }));
}
