#pragma once

#include <string>
#include <vector>

namespace hishamos::test {

/// A PostgreSQL server of one test's own, on a free loopback port, for tests
/// that stop the database or need settings the shared server must not have.
/// initdb and pg_ctl run as the `postgres` user when the tests run as root
/// (PostgreSQL refuses root). Stopped and removed when the object goes away.
class private_pg {
public:
  /// `settings` are extra server settings, e.g. {"fsync=off"};
  /// `also_listen_on` an address besides 127.0.0.1 to accept connections
  /// on (trusted from its /24), e.g. an isolated_network's host address.
  explicit private_pg(std::vector<std::string> settings = {},
                      std::string also_listen_on = "");
  ~private_pg();
  private_pg(const private_pg&) = delete;
  private_pg& operator=(const private_pg&) = delete;

  /// postgresql:// URL of the `postgres` database (user hishamos, trust).
  [[nodiscard]] std::string url() const;
  [[nodiscard]] int port() const { return port_; }
  /// pg_ctl stop -m immediate: the server dies without a checkpoint, as
  /// in a crash; the next start replays the WAL.
  void crash();
  /// Starts the server and waits until it accepts connections.
  void start();
  /// The server's log so far.
  [[nodiscard]] std::string log() const;
  /// A base backup of the running server (pg_basebackup, with its WAL).
  void base_backup();
  /// Loses the data directory (the server crashed first), puts the base
  /// backup in its place and recovers to `target_time` (a timestamptz)
  /// from the archived WAL in `archive` (restore_command), then promotes;
  /// returns once the server takes writes.
  void recover_to(const std::string& target_time, const std::string& archive);

private:
  void pg_ctl(const std::vector<std::string>& args);

  std::string dir_;
  int port_ = 0;
  std::vector<std::string> settings_;
  std::string also_listen_on_;
};

} // namespace hishamos::test
