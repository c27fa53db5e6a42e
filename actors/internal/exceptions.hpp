#pragma once

// What an actor does with an exception that escapes one of its handlers:
// it is logged with the actor's name and what was thrown (bounded), and
// the actor ends with sec::runtime_error, so whoever watches it (the node
// marks itself unhealthy, a supervisor restarts it) sees a failure, never
// CAF's anonymous "unhandled exception".

#include <exception>
#include <string>

#include <caf/error.hpp>
#include <caf/sec.hpp>
#include <spdlog/spdlog.h>

namespace hishamos::actors {

/// What `eptr` holds, at most 200 characters.
inline std::string describe_exception(std::exception_ptr& eptr) {
  std::string what = "an exception of unknown type";
  try {
    std::rethrow_exception(eptr);
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
  }
  if (what.size() > 200)
    what = what.substr(0, 200) + "...";
  return what;
}

/// Installs the handler above on `self`, an actor named `name`.
template <class Self> void log_exceptions(Self* self, const char* name) {
  self->set_exception_handler([name](std::exception_ptr& eptr) -> caf::error {
    auto what = describe_exception(eptr);
    spdlog::critical("{} failed on an exception: {}", name, what);
    return caf::make_error(caf::sec::runtime_error,
                           std::string{name} + ": " + what);
  });
}

/// Makes an error message that is no answer to a request of `self` (an
/// actor other nodes reach: membership, agents, the lock authority) a
/// warning instead of CAF's default, which ends the actor: a peer that
/// does not understand a message answers it with an error (a node of an
/// earlier release, a feature it lacks), and no peer may stop this node's
/// actors by sending one.
template <class Self> void ignore_stray_errors(Self* self, const char* name) {
  self->set_error_handler([self, name](caf::error& e) {
    auto what = self->system().render(e);
    spdlog::warn("{} ignored an error it was sent: {}", name,
                 what.substr(0, 200));
  });
}

} // namespace hishamos::actors
