#include "tests/support/private_pg.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <pwd.h>
#include <unistd.h>

#include "tests/support/process.hpp"
#include "tests/support/wait.hpp"

namespace hishamos::test {

namespace {

std::string bin(const std::string& name) {
  // Debian keeps the server programs out of PATH, by major version.
  for (const auto& entry :
       std::filesystem::directory_iterator{"/usr/lib/postgresql"})
    if (auto p = entry.path() / "bin" / name; std::filesystem::exists(p))
      return p.string();
  FAIL("no " << name << " under /usr/lib/postgresql: install postgresql");
  return {};
}

// PostgreSQL refuses to run as root: run its programs as `postgres` then.
std::vector<std::string> as_server_user(std::vector<std::string> argv) {
  if (geteuid() != 0)
    return argv;
  argv.insert(argv.begin(), {"/usr/sbin/runuser", "-u", "postgres", "--"});
  return argv;
}

void run_checked(const std::vector<std::string>& argv) {
  auto r = run_process(as_server_user(argv));
  INFO(argv[0] << ": " << r.out << r.err);
  REQUIRE(r.exit_code == 0);
}

} // namespace

private_pg::private_pg(std::vector<std::string> settings,
                       std::string also_listen_on)
    : port_(free_port()), settings_(std::move(settings)),
      also_listen_on_(std::move(also_listen_on)) {
  char pattern[] = "/tmp/hishamos-pg-XXXXXX";
  REQUIRE(mkdtemp(pattern) != nullptr);
  dir_ = pattern;
  if (geteuid() == 0) {
    auto* pw = getpwnam("postgres");
    REQUIRE(pw != nullptr);
    REQUIRE(chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) == 0);
  }
  // --no-sync only speeds up this initialisation; the server runs with the
  // default (durable) settings unless the test asks otherwise.
  run_checked({bin("initdb"), "-D", dir_ + "/data", "-U", "hishamos",
               "--auth=trust", "--no-sync", "-E", "UTF8"});
  if (!also_listen_on_.empty()) {
    auto subnet = also_listen_on_.substr(0, also_listen_on_.rfind('.'));
    std::ofstream hba{dir_ + "/data/pg_hba.conf", std::ios::app};
    hba << "host all all " << subnet << ".0/24 trust\n";
  }
  start();
}

private_pg::~private_pg() {
  run_process(as_server_user(
      {bin("pg_ctl"), "stop", "-D", dir_ + "/data", "-m", "immediate"}));
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string private_pg::url() const {
  return "postgresql://hishamos@127.0.0.1:" + std::to_string(port_) +
         "/postgres";
}

void private_pg::pg_ctl(const std::vector<std::string>& args) {
  std::vector<std::string> argv{bin("pg_ctl"), "-D", dir_ + "/data"};
  argv.insert(argv.end(), args.begin(), args.end());
  run_checked(argv);
}

void private_pg::start() {
  std::string listen = "127.0.0.1";
  if (!also_listen_on_.empty())
    listen += "," + also_listen_on_;
  std::string options = "-c listen_addresses=" + listen +
                        " -c port=" + std::to_string(port_) +
                        " -c unix_socket_directories=" + dir_;
  for (const auto& s : settings_)
    options += " -c " + s;
  // -w waits until the server accepts connections (bounded by -t).
  auto r = run_process(
      as_server_user({bin("pg_ctl"), "-D", dir_ + "/data", "start", "-w", "-t",
                      "60", "-l", dir_ + "/server.log", "-o", options}));
  INFO("pg_ctl start: " << r.out << r.err << "\nserver log:\n" << log());
  REQUIRE(r.exit_code == 0);
}

void private_pg::crash() { pg_ctl({"stop", "-m", "immediate", "-w"}); }

std::string private_pg::log() const { return read_text(dir_ + "/server.log"); }

void private_pg::base_backup() {
  run_checked({bin("pg_basebackup"), "-h", dir_, "-p", std::to_string(port_),
               "-U", "hishamos", "-D", dir_ + "/base", "-X", "stream", "-c",
               "fast"});
}

void private_pg::recover_to(const std::string& target_time,
                            const std::string& archive) {
  crash();
  std::filesystem::remove_all(dir_ + "/data");
  run_checked({"cp", "-a", dir_ + "/base", dir_ + "/data"});
  {
    std::ofstream conf{dir_ + "/data/postgresql.auto.conf", std::ios::app};
    conf << "restore_command = 'cp " << archive << "/%f %p'\n"
         << "recovery_target_time = '" << target_time << "'\n"
         << "recovery_target_action = 'promote'\n";
  }
  run_checked({"touch", dir_ + "/data/recovery.signal"});
  start();
  // Accepting connections is not yet taking writes: wait for the promotion.
  bool promoted = wait_until(
      [&] {
        auto r =
            run_process({"psql", url(), "-Atc", "SELECT pg_is_in_recovery()"});
        return r.exit_code == 0 && r.out.rfind("f", 0) == 0;
      },
      std::chrono::seconds{60});
  INFO(log());
  REQUIRE(promoted);
}

} // namespace hishamos::test
