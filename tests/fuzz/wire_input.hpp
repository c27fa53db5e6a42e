#pragma once

// The shape of one wire fuzzer input: what a peer writes to the node port
// for one BASP message, a header of caf::io::basp::header_size bytes and
// its payload (for a direct message: the forwarding stack and the message
// content). tests/fuzz/wire_seeds.cpp writes real ones as seeds;
// tests/fuzz/wire_fuzzer.cpp decodes mutated ones.

#include <caf/binary_serializer.hpp>
#include <caf/io/basp/header.hpp>
#include <caf/io/basp/message_type.hpp>
#include <caf/message.hpp>

#include <vector>

namespace hishamos::fuzz {

/// A direct message to actor 1 carrying `content`, framed as BASP frames it.
inline std::vector<char> frame_direct(caf::actor_system& sys,
                                      const caf::message& content) {
  std::vector<char> payload;
  caf::binary_serializer body{sys, payload};
  std::vector<caf::strong_actor_ptr> stages;
  if (body(stages, const_cast<caf::message&>(content)))
    return {};
  caf::io::basp::header hdr{caf::io::basp::message_type::direct_message,
                            0,
                            static_cast<uint32_t>(payload.size()),
                            0,
                            0,
                            1};
  std::vector<char> out;
  caf::binary_serializer head{sys, out};
  if (head(hdr))
    return {};
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

} // namespace hishamos::fuzz
