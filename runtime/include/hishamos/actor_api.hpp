#pragma once

// Actor-message side of the embedder API: the message types an embedder's
// actors send and receive. Includes CAF.

#include <caf/all.hpp>

#include "actors/messages.hpp"
#include "hishamos/node.hpp"

namespace hishamos {

/// Sent to a submit() listener once the execution reached a terminal state.
using execution_finished = model::execution_finished;
/// Received by an agent actor registered with node::register_agent.
using task_request = model::task_request;
/// What an agent actor answers.
using task_reply = model::task_reply;

} // namespace hishamos
