#pragma once

// One blocking question to an actor, from a plain thread (an HTTP handler,
// an embedder's call): the read views and admin commands of a node all ask
// this way. Included by runtime/ sources only (it pulls in CAF).

#include <chrono>
#include <utility>

#include <caf/all.hpp>

namespace hishamos::runtime {

/// Asks `to` and waits at most `timeout` for an answer of type T; a null
/// handle, a timeout or an error reply give the error.
template <class T, class Handle, class... Ts>
caf::expected<T> ask(caf::actor_system& sys, const Handle& to,
                     std::chrono::milliseconds timeout, Ts&&... xs) {
  if (!to)
    return caf::make_error(caf::sec::invalid_argument, "no such actor");
  caf::scoped_actor self{sys};
  caf::expected<T> out{caf::make_error(caf::sec::request_timeout)};
  self->request(to, timeout, std::forward<Ts>(xs)...)
      .receive([&](T& x) { out = std::move(x); },
               [&](caf::error& e) { out = std::move(e); });
  return out;
}

} // namespace hishamos::runtime
