// The execution states' names: kept apart from store.cpp (which opens the
// backends) so that code that only names states, like the wire fuzzer,
// links without them.

#include "persistence/store.hpp"

#include <iterator>

namespace hishamos::persistence {

namespace {
constexpr const char* state_names[] = {"pending",   "running", "paused",
                                       "completed", "failed",  "cancelled"};
} // namespace

const char* to_string(execution_state x) {
  // A peer can send any number here (CAF decodes enums unchecked), and
  // logging its message renders it: never index out of range.
  auto i = static_cast<unsigned>(x);
  return i < std::size(state_names) ? state_names[i] : "invalid";
}

std::optional<execution_state> parse_execution_state(const std::string& x) {
  for (int i = 0; i < static_cast<int>(std::size(state_names)); ++i)
    if (x == state_names[i])
      return static_cast<execution_state>(i);
  return std::nullopt;
}

bool is_terminal(execution_state x) {
  return x == execution_state::completed || x == execution_state::failed ||
         x == execution_state::cancelled;
}

} // namespace hishamos::persistence
