#pragma once

#include <caf/fwd.hpp>

namespace hishamos::actors {

/// Registers every message type of the node's actors with CAF (required
/// for serialization, and for typed error messages instead of
/// "unexpected_message" at run time).
void add_message_types(caf::actor_system_config& cfg);

} // namespace hishamos::actors
