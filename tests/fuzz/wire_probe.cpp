// Sends wire frames to a node's port the way a hostile peer can: reads the
// node's BASP server handshake to learn its published actor, handshakes as
// a node of its own, sends each FILE (a header and payload, as
// tests/fuzz/wire_input.hpp frames them) to that actor, and last a string
// MARKER, which the actor logs as a message it does not understand. BASP
// delivers one connection's messages in order: the marker in the node's
// log means it decoded and handled every frame before it. Then it stays
// connected, answering heartbeats, until killed.
// Usage: hishamos_wire_probe PORT MARKER FILE... (127.0.0.1); exit 1 when
// the node closes the connection or stops sending heartbeats, 2 on bad
// usage.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <caf/io/basp/header.hpp>
#include <caf/io/basp/message_type.hpp>

#include "actors/message_types.hpp"
#include "actors/messages.hpp"
#include "tests/fuzz/wire_input.hpp"

namespace {

namespace basp = caf::io::basp;

bool read_exactly(int fd, std::vector<char>& buf, size_t n) {
  buf.resize(n);
  for (size_t got = 0; got < n;) {
    auto k = read(fd, buf.data() + got, n - got);
    if (k <= 0)
      return false;
    got += static_cast<size_t>(k);
  }
  return true;
}

bool write_all(int fd, const std::vector<char>& buf) {
  for (size_t put = 0; put < buf.size();) {
    auto k = write(fd, buf.data() + put, buf.size() - put);
    if (k <= 0)
      return false;
    put += static_cast<size_t>(k);
  }
  return true;
}

// One frame from the node: its header and payload.
std::optional<std::pair<basp::header, std::vector<char>>>
next_frame(caf::actor_system& sys, int fd) {
  std::vector<char> head, body;
  if (!read_exactly(fd, head, basp::header_size))
    return std::nullopt;
  basp::header hdr;
  caf::binary_deserializer in{sys, head};
  if (in(hdr) || !read_exactly(fd, body, hdr.payload_len))
    return std::nullopt;
  return std::pair{hdr, std::move(body)};
}

using hishamos::fuzz::encode;
using hishamos::fuzz::frame;

// The file's frame, addressed to `target` (a frame too short for a header
// goes as it is).
std::vector<char> readdressed(caf::actor_system& sys, const std::string& path,
                              caf::actor_id target) {
  std::ifstream in{path, std::ios::binary};
  std::vector<char> bytes{std::istreambuf_iterator<char>{in}, {}};
  if (bytes.size() < basp::header_size)
    return bytes;
  basp::header hdr;
  caf::binary_deserializer head{sys, bytes.data(), basp::header_size};
  if (head(hdr))
    return bytes;
  hdr.dest_actor = target;
  std::vector<char> out;
  caf::binary_serializer sink{sys, out};
  if (sink(hdr))
    return bytes;
  out.insert(out.end(), bytes.begin() + basp::header_size, bytes.end());
  return out;
}

int connect_to(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr))
    return -1;
  timeval limit{20, 0}; // a wedged node must not hang the test
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  return fd;
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: hishamos_wire_probe PORT MARKER FILE...\n";
    return 2;
  }
  caf::actor_system_config cfg;
  hishamos::actors::add_message_types(cfg);
  caf::actor_system sys{cfg};
  int fd = connect_to(std::stoi(argv[1]));
  if (fd < 0)
    return std::cerr << "cannot connect to port " << argv[1] << "\n", 1;
  auto hs = next_frame(sys, fd);
  caf::node_id server;
  std::vector<std::string> app_ids;
  caf::actor_id published = 0;
  std::set<std::string> sigs;
  if (!hs || hs->first.operation != basp::message_type::server_handshake ||
      caf::binary_deserializer{sys, hs->second}(server, app_ids, published,
                                                sigs))
    return std::cerr << "no server handshake\n", 1;
  auto me = sys.node();
  write_all(fd,
            frame(sys, {basp::message_type::client_handshake, 0, 0, 0, 0, 0},
                  encode(sys, me)));
  for (int i = 3; i < argc; ++i)
    write_all(fd, readdressed(sys, argv[i], published));
  std::vector<caf::strong_actor_ptr> stages;
  auto marker = caf::make_message(std::string{argv[2]});
  if (!write_all(
          fd, frame(sys,
                    {basp::message_type::direct_message, 0, 0, 0, 0, published},
                    encode(sys, stages, marker))))
    return std::cerr << "the node closed the connection\n", 1;
  std::cout << "sent " << argc - 3 << " frame(s) and the marker\n"
            << std::flush;
  // Closing now could drop frames still being decoded: stay a live peer,
  // answering heartbeats, until killed.
  std::vector<char> beat =
      frame(sys, {basp::message_type::heartbeat, 0, 0, 0, 0, 0}, {});
  while (auto f = next_frame(sys, fd))
    if (f->first.operation == basp::message_type::heartbeat)
      write_all(fd, beat);
  std::cerr << "the node closed the connection or stopped sending\n";
  return 1;
}
