// `hishamos backup FILE` and `hishamos restore FILE`: a logical copy of
// the store named by the config. SQLite goes through SQLite's online
// backup (a consistent snapshot while nodes write); PostgreSQL through
// pg_dump's custom format and pg_restore, given the URL's parts as
// arguments and its password in PGPASSWORD, never on a command line. A
// restore goes only into an empty store. The restored store keeps the
// backup's identity: a node that saw more than it holds refuses to start
// on it until told `--start-afresh` (docs/operations.md).

#include <filesystem>
#include <iostream>
#include <map>
#include <optional>

#include <libpq-fe.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/wait.h>

#include "apps/hishamos/commands.hpp"
#include "apps/hishamos/setup.hpp"
#include "persistence/open_store.hpp"

extern char** environ;

namespace hishamos::cli {

namespace {

bool is_sqlite(const std::string& url) { return url.rfind("sqlite:", 0) == 0; }

// Copies the whole database `from` into `to` with SQLite's backup API.
bool sqlite_copy(const std::string& from, const std::string& to,
                 std::string& why) {
  sqlite3 *src = nullptr, *dst = nullptr;
  bool done = false;
  if (sqlite3_open_v2(from.c_str(), &src, SQLITE_OPEN_READONLY, nullptr) !=
      SQLITE_OK) {
    why = "cannot open " + from + ": " + sqlite3_errmsg(src);
  } else if (sqlite3_open(to.c_str(), &dst) != SQLITE_OK) {
    why = "cannot create " + to + ": " + sqlite3_errmsg(dst);
  } else if (auto* b = sqlite3_backup_init(dst, "main", src, "main"); !b) {
    why = std::string{"cannot start the copy: "} + sqlite3_errmsg(dst);
  } else {
    int rc = sqlite3_backup_step(b, -1); // all pages, one consistent read
    sqlite3_backup_finish(b);
    done = rc == SQLITE_DONE;
    if (!done)
      why = std::string{"the copy failed: "} + sqlite3_errstr(rc);
  }
  sqlite3_close(src);
  sqlite3_close(dst);
  return done;
}

// Runs a PostgreSQL client tool on the database of `url`: its host, port,
// user and database as arguments, its password in PGPASSWORD.
int run_pg_tool(const std::string& tool, std::vector<std::string> args,
                const std::string& url, std::string& why) {
  char* err = nullptr;
  PQconninfoOption* parts = PQconninfoParse(url.c_str(), &err);
  if (!parts) {
    why = "the store URL does not parse" +
          (err ? std::string{": "} + err : std::string{});
    PQfreemem(err);
    return -1;
  }
  std::map<std::string, std::string> given;
  for (auto* p = parts; p->keyword; ++p)
    if (p->val && *p->val)
      given[p->keyword] = p->val;
  PQconninfoFree(parts);
  std::vector<std::string> argv{tool};
  for (auto [key, flag] : {std::pair{"host", "--host"},
                           {"port", "--port"},
                           {"user", "--username"},
                           {"dbname", "--dbname"}})
    if (given.count(key))
      argv.push_back(std::string{flag} + "=" + given[key]);
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e)
    if (std::string{*e}.rfind("PGPASSWORD=", 0) != 0)
      env.emplace_back(*e);
  if (given.count("password"))
    env.push_back("PGPASSWORD=" + given["password"]);
  std::vector<char*> cargv, cenv;
  for (auto& a : argv)
    cargv.push_back(a.data());
  cargv.push_back(nullptr);
  for (auto& e : env)
    cenv.push_back(e.data());
  cenv.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawnp(&pid, tool.c_str(), nullptr, nullptr, cargv.data(),
                   cenv.data()) != 0) {
    why = "cannot run " + tool + " (apt-get install postgresql-client)";
    return -1;
  }
  int status = 0;
  waitpid(pid, &status, 0);
  int rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (rc != 0)
    why = tool + " failed (exit " + std::to_string(rc) + "): see above";
  return rc;
}

// The store URL of the config and flags ("" after printing why not).
std::string store_url_of(const std::string& config_file,
                         const common_options& opts) {
  auto options = node_options_from(config_file, opts, false);
  if (!options) {
    print_problems(options.errors());
    return {};
  }
  return options->config.store_url;
}

// What the store holds (nullopt: no store there, or no schema yet).
std::optional<persistence::store_mark> mark_of(const std::string& url) {
  if (url.rfind("sqlite:", 0) == 0 && !std::filesystem::exists(url.substr(7)))
    return std::nullopt; // opening would make one
  auto store = persistence::open_store(url);
  if (!store)
    return std::nullopt;
  auto mark = store.value->mark();
  if (!mark || mark.value.id.empty())
    return std::nullopt;
  return mark.value;
}

std::string describe_store(const std::string& url) {
  auto mark = mark_of(url);
  if (!mark)
    return "nothing";
  return std::to_string(mark->executions) + " executions, " +
         std::to_string(mark->checkpoints) + " checkpoints (store " + mark->id +
         ")";
}

} // namespace

int backup_command(const std::string& config_file, const std::string& file,
                   const common_options& opts) {
  auto url = store_url_of(config_file, opts);
  if (url.empty())
    return bad_input;
  if (std::filesystem::exists(file)) {
    std::cerr << file << " exists: a backup never overwrites a file; name "
              << "another one\n";
    return bad_input;
  }
  std::string why;
  bool done =
      is_sqlite(url)
          ? sqlite_copy(url.substr(7), file, why)
          : run_pg_tool("pg_dump", {"--format=custom", "--file=" + file}, url,
                        why) == 0;
  if (!done) {
    std::cerr << "backup failed: " << why << "\n";
    std::filesystem::remove(file);
    return workflow_failed;
  }
  std::cout << "backed up " << describe_store(url) << " to " << file << "\n";
  return ok;
}

int restore_command(const std::string& config_file, const std::string& file,
                    const common_options& opts) {
  auto url = store_url_of(config_file, opts);
  if (url.empty())
    return bad_input;
  if (!std::filesystem::exists(file)) {
    std::cerr << "no backup at " << file << "\n";
    return bad_input;
  }
  // Only into an empty store (none, or a schema without executions): a
  // restore must never mix two histories.
  auto there = mark_of(url);
  if (there && (there->executions > 0 || there->checkpoints > 0)) {
    std::cerr << "the store " << persistence::redact_url(url)
              << " is not empty: restore into a new one (a new file, or "
                 "an empty database) and point the nodes at it\n";
    return bad_input;
  }
  std::string why;
  bool done = is_sqlite(url) ? sqlite_copy(file, url.substr(7), why)
                             : run_pg_tool("pg_restore",
                                           {"--no-owner", "--exit-on-error",
                                            "--clean", "--if-exists", file},
                                           url, why) == 0;
  if (!done) {
    std::cerr << "restore failed: " << why << "\n";
    return workflow_failed;
  }
  std::cout << "restored " << describe_store(url) << " from " << file << "\n";
  return ok;
}

} // namespace hishamos::cli
