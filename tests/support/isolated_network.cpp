#include "tests/support/isolated_network.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include "tests/support/process.hpp"

namespace hishamos::test {

namespace {

const std::string ip_binary = "/usr/sbin/ip";

} // namespace

isolated_network::isolated_network() {
  auto id = std::to_string(getpid() % 100000);
  ns_ = "hishamos" + id;
  host_dev_ = "hmh" + id; // interface names are at most 15 characters
  inner_dev_ = "hmi" + id;
  auto subnet = "10.213." + std::to_string(getpid() % 250) + ".";
  host_ = subnet + "1";
  inner_ = subnet + "2";
  INFO("network namespaces need root (CAP_NET_ADMIN) and iproute2: run the "
       "cluster tests as root, as ./dev.sh test does in CI");
  REQUIRE(geteuid() == 0);
  run_process({ip_binary, "netns", "del", ns_}); // a crashed run's leftover
  ip({"netns", "add", ns_});
  ip({"link", "add", host_dev_, "type", "veth", "peer", "name", inner_dev_});
  ip({"link", "set", inner_dev_, "netns", ns_});
  ip({"addr", "add", host_ + "/24", "dev", host_dev_});
  ip({"link", "set", host_dev_, "up"});
  ip({"addr", "add", inner_ + "/24", "dev", inner_dev_}, true);
  ip({"link", "set", inner_dev_, "up"}, true);
  ip({"link", "set", "lo", "up"}, true);
}

isolated_network::~isolated_network() {
  // Deleting the namespace ends the veth pair with it.
  run_process({ip_binary, "netns", "del", ns_});
}

std::vector<std::string>
isolated_network::wrap(const std::vector<std::string>& argv) const {
  std::vector<std::string> out{ip_binary, "netns", "exec", ns_};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

void isolated_network::ip(const std::vector<std::string>& args,
                          bool inside) const {
  std::vector<std::string> argv{ip_binary};
  if (inside)
    argv.insert(argv.end(), {"-n", ns_});
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run_process(argv);
  INFO("ip " << r.out << r.err);
  REQUIRE(r.exit_code == 0);
}

void isolated_network::cut() {
  // Frames to a MAC that is not the peer's are dropped on arrival.
  ip({"neigh", "replace", inner_, "lladdr", "02:00:00:00:00:01", "dev",
      host_dev_, "nud", "permanent"});
  ip({"neigh", "replace", host_, "lladdr", "02:00:00:00:00:02", "dev",
      inner_dev_, "nud", "permanent"},
     true);
}

void isolated_network::heal() {
  ip({"neigh", "del", inner_, "dev", host_dev_});
  ip({"neigh", "del", host_, "dev", inner_dev_}, true);
}

} // namespace hishamos::test
