#pragma once

// A network of a test's own: a Linux network namespace joined to the
// test's namespace by a veth pair, so that a node started inside it can be
// cut off from its peers and the database by dropping its traffic, as a
// real partition does, while its process keeps running.

#include <string>
#include <vector>

namespace hishamos::test {

/// A network namespace with address inner_address(), reached from here at
/// host_address() (a /24 of 10.213.0.0/16, on a veth pair only this test
/// sees). Needs CAP_NET_ADMIN (root, as CI runs): without it the test fails
/// and says so. Removed with everything in it when the object goes away.
class isolated_network {
public:
  isolated_network();
  ~isolated_network();
  isolated_network(const isolated_network&) = delete;
  isolated_network& operator=(const isolated_network&) = delete;

  /// This side's address on the pair; bind here what the inside must reach.
  [[nodiscard]] const std::string& host_address() const { return host_; }
  /// The namespace's address on the pair.
  [[nodiscard]] const std::string& inner_address() const { return inner_; }
  /// `argv` run inside the namespace (through `ip netns exec`, which execs
  /// it: the pid is the program's own).
  [[nodiscard]] std::vector<std::string>
  wrap(const std::vector<std::string>& argv) const;
  /// Drops every packet between the two sides, silently and both ways
  /// (each side's neighbour entry for the other points at a MAC nobody
  /// has). Links, addresses and open TCP connections stay: traffic just
  /// stops, as in a partition.
  void cut();
  /// Lets traffic through again (the neighbour entries are relearnt); TCP
  /// retransmits what was lost.
  void heal();

private:
  void ip(const std::vector<std::string>& args, bool inside = false) const;

  std::string ns_, host_dev_, inner_dev_, host_, inner_;
};

} // namespace hishamos::test
