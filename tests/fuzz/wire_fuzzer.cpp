// libFuzzer target for the message decoding path: bytes as a peer writes
// them to the node port, decoded as CAF 0.17's BASP decodes them (header,
// then the forwarding stack and the message) and, when they decode to one
// of HishamOS's messages, checked and rendered as the membership and agent
// actors do (actors/wire_checks.hpp; unknown messages are rendered into a
// log line). Built with clang (-fsanitize=fuzzer,address,undefined) by
// tests/fuzz/CMakeLists.txt; ctest runs it for a bounded time.

#include <cstddef>
#include <cstdint>

#include <caf/all.hpp>
#include <caf/io/basp/header.hpp>
#include <caf/io/basp/message_type.hpp>

#include "actors/message_types.hpp"
#include "actors/messages.hpp"
#include "actors/wire_checks.hpp"

namespace {

using namespace hishamos;

// Remote actor handles decode to null here: a real node makes proxies,
// which the checks treat like any handle.
struct no_proxies : caf::proxy_registry::backend {
  caf::strong_actor_ptr make_proxy(caf::node_id, caf::actor_id) override {
    return nullptr;
  }
  void set_last_hop(caf::node_id*) override {}
};

struct world {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  no_proxies backend;
  std::unique_ptr<caf::proxy_registry> proxies;
  std::unique_ptr<caf::scoped_execution_unit> ctx;

  world() {
    actors::add_message_types(cfg);
    cfg.set("scheduler.max-threads", 1);
    sys = std::make_unique<caf::actor_system>(cfg);
    proxies = std::make_unique<caf::proxy_registry>(*sys, backend);
    ctx = std::make_unique<caf::scoped_execution_unit>(sys.get());
    ctx->proxy_registry_ptr(proxies.get());
  }
};

// Lives until the process ends: destroying an actor system during static
// destruction, after CAF's own statics, crashes.
world& the_world() {
  static auto* w = std::make_unique<world>().release();
  return *w;
}

// What membership and agents do with a message that decoded.
void act_on(const caf::message& msg) {
  if (msg.match_elements<actors::hello>())
    (void)actors::check_hello(msg.get_as<actors::hello>(0), "n1");
  else if (msg.match_elements<actors::directory_update>()) {
    const auto& u = msg.get_as<actors::directory_update>(0);
    (void)actors::check_agents(u.agents);
    (void)actors::check_learned(u.learned);
  } else if (msg.match_elements<model::task_request>())
    (void)actors::check_task(msg.get_as<model::task_request>(0));
  else if (msg.match_elements<actors::lock_ask>())
    (void)actors::check_lock_ask(msg.get_as<actors::lock_ask>(0));
  else if (msg.match_elements<actors::lock_sync>())
    for (const auto& a : msg.get_as<actors::lock_sync>(0).held)
      (void)actors::check_lock_ask(a);
  else
    (void)caf::to_string(msg); // the "dropped a message" log line
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  namespace basp = caf::io::basp;
  auto& w = the_world();
  if (size < basp::header_size)
    return 0;
  const auto* bytes = reinterpret_cast<const char*>(data);
  basp::header hdr;
  caf::binary_deserializer head{w.ctx.get(), bytes, basp::header_size};
  if (head(hdr) || !basp::valid(hdr))
    return 0;
  const char* payload = bytes + basp::header_size;
  std::size_t n = size - basp::header_size;
  if (hdr.payload_len != n) // BASP drops the connection then
    return 0;
  caf::binary_deserializer body{w.ctx.get(), payload, n};
  switch (hdr.operation) {
  case basp::message_type::client_handshake: {
    caf::node_id peer;
    (void)body(peer);
    return 0;
  }
  case basp::message_type::routed_message: {
    caf::node_id from, to;
    if (body(from, to))
      return 0;
    [[fallthrough]];
  }
  case basp::message_type::direct_message: {
    std::vector<caf::strong_actor_ptr> stages;
    caf::message msg;
    if (!body(stages, msg))
      act_on(msg);
    return 0;
  }
  default:
    return 0;
  }
}
