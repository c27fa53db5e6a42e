#pragma once

#include <caf/fwd.hpp>

namespace hishamos::actors {

/// Registers every message type of the node's actors with CAF (required
/// for serialization, and for typed error messages instead of
/// "unexpected_message" at run time).
/// Also calls refuse_unbounded_decoding().
void add_message_types(caf::actor_system_config& cfg);

/// Stops CAF from decoding the built-in types whose decoding a peer can make
/// allocate without bound from a short frame (found by the wire fuzzer);
/// sending them still works, receiving them fails as an unknown type.
void refuse_unbounded_decoding(caf::actor_system_config& cfg);

} // namespace hishamos::actors
