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

/// `xs` serialized one after the other ("" when one cannot be).
template <class... Ts>
std::vector<char> encode(caf::actor_system& sys, Ts&... xs) {
  std::vector<char> out;
  caf::binary_serializer sink{sys, out};
  if (sink(xs...))
    return {};
  return out;
}

/// A BASP frame: `hdr` (with payload_len set to the payload's size), then
/// the payload.
inline std::vector<char> frame(caf::actor_system& sys,
                               caf::io::basp::header hdr,
                               const std::vector<char>& payload) {
  hdr.payload_len = static_cast<uint32_t>(payload.size());
  auto out = encode(sys, hdr);
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

/// A direct message to actor 1 carrying `content`, framed as BASP frames it.
inline std::vector<char> frame_direct(caf::actor_system& sys,
                                      const caf::message& content) {
  std::vector<caf::strong_actor_ptr> stages;
  auto msg = content;
  auto payload = encode(sys, stages, msg);
  if (payload.empty())
    return {};
  return frame(sys,
               {caf::io::basp::message_type::direct_message, 0, 0, 0, 0, 1},
               payload);
}

} // namespace hishamos::fuzz
