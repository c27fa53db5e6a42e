#include <csignal>
#include <iostream>

#include <spdlog/spdlog.h>

#include "admin/console_assets.hpp"
#include "admin/http_server.hpp"
#include "apps/hishamos/commands.hpp"
#include "apps/hishamos/setup.hpp"
#include "hishamos/log_output.hpp"
#include "hishamos/node.hpp"
#include "persistence/open_store.hpp"
#include "security/accounts.hpp"
#include "security/crypto.hpp"

namespace hishamos::cli {

namespace {

// Blocks SIGTERM and SIGINT in every thread (threads inherit the mask), so
// that the main thread can wait for them with sigwait.
sigset_t block_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

// `hishamos dev`: an admin API key for the user "dev", printed at start so
// that the quick start needs no sign-up ("" when it cannot be made).
std::string dev_credential(admin::http_server& http) {
  auto& accounts = http.accounts();
  auto users = accounts.users();
  const persistence::user_row* dev = nullptr;
  for (const auto& u : users.value)
    dev = u.username == "dev" ? &u : dev;
  persistence::user_row made;
  if (!dev) {
    // Its password is random and never shown: the key is the credential.
    auto got = accounts.add_user("dev", security::random_token(24), "admin");
    if (!got)
      return {};
    made = got.value;
    dev = &made;
  }
  security::principal who{dev->id, dev->username, dev->role};
  auto key = accounts.create_api_key(who, "hishamos dev", "admin", 0);
  return key ? key.value.key : std::string{};
}

// Every insecure choice in force, named at start.
void warn_insecure(const node_options& o) {
  if (!o.config.listen.empty() && o.config.tls.certificate.empty())
    spdlog::warn("insecure: node-to-node traffic on {} is not encrypted or "
                 "authenticated (set node.tls certificate, key and ca)",
                 o.config.listen);
}

} // namespace

int node_command(const std::string& config_file, bool dev,
                 const common_options& opts) {
  log_to_stdout(); // a full log disk must not stop the node
  auto signals = block_stop_signals();
  auto options = node_options_from(dev ? "" : config_file, opts);
  if (!options) {
    print_problems(options.errors());
    return bad_input;
  }
  log_to_stdout(options->config.log_format == "json", options->config.node_id);
  auto listen =
      config::split_host_port(options->config.http_listen, "http.listen");
  if (!listen) {
    print_problems(listen.errors());
    return bad_input;
  }
  warn_insecure(*options);
  auto store_url = options->config.store_url;
  auto grace_ms = options->config.shutdown_grace_ms;
  std::string catalogs;
  for (const auto& path : options->config.catalog_paths)
    catalogs += (catalogs.empty() ? "" : ", ") + path;
  auto started = node::start(std::move(*options));
  if (!started) {
    print_problems(started.errors());
    return workflow_failed;
  }
  auto& n = **started;
  admin::http_server http{n};
  auto port = http.start(listen->first, listen->second);
  if (!port) {
    print_problems(port.errors());
    return bad_input;
  }
  auto credential = dev ? dev_credential(http) : std::string{};
  // For people: standard output is the log's, one JSON object a line,
  // when the log is JSON.
  auto& out = options->config.log_format == "json" ? std::cerr : std::cout;
  out << "hishamos node '" << n.id() << "' ready\n"
      << "  admin HTTP: http://" << listen->first << ":" << *port << "\n"
      << "  console:    "
      << (admin::console::built()
              ? "http://" + listen->first + ":" + std::to_string(*port) + "/"
              : std::string{"not built (run deploy/install-deps.sh)"})
      << "\n"
      << "  store:      " << persistence::redact_url(store_url) << "\n"
      << "  catalog:    " << catalogs << "\n"
      << "  workflows:  " << n.catalog()->workflows.size()
      << ", agents: " << n.catalog()->agents.size()
      << ", resumed executions: " << n.resumed() << "\n";
  if (!credential.empty())
    out << "  API key:    " << credential
        << "  (admin, for this dev node: send it as X-API-Key, or sign in "
           "to the console with it)\n";
  if (auto secret = http.setup_secret(); !secret.empty() && !dev)
    out << "  no users yet: create the first admin with\n"
        << "    POST /api/v1/auth/setup {\"setup_secret\": \"" << secret
        << "\", \"username\": ..., \"password\": ...}\n"
        << "  (this secret is printed once and works once), or with\n"
        << "    hishamos user add NAME --role admin\n";
  out << std::flush;
  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("received {}, stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  // /ready answers 503 from now on; in-flight steps may finish meanwhile.
  n.drain();
  if (!n.wait_drained(std::chrono::milliseconds{grace_ms}))
    spdlog::warn(
        "grace period of {} ms over; stopping the remaining executions",
        grace_ms);
  http.stop();
  return ok;
}

namespace {

// The store named by the config and flags, migrated; nullptr after printing
// why not.
std::unique_ptr<persistence::store>
open_migrated(const std::string& config_file, const common_options& opts,
              int& rc) {
  auto options = node_options_from(config_file, opts, false);
  if (!options) {
    print_problems(options.errors());
    rc = bad_input;
    return nullptr;
  }
  auto store = persistence::open_store(options->config.store_url);
  if (!store) {
    std::cerr << store.st.message << "\n";
    rc = workflow_failed;
    return nullptr;
  }
  if (auto st = store.value->migrate(); !st) {
    std::cerr << st.message << "\n";
    rc = workflow_failed;
    return nullptr;
  }
  return std::move(store.value);
}

} // namespace

int optimize_command(const std::string& config_file,
                     const common_options& opts) {
  int rc = ok;
  auto store = open_migrated(config_file, opts, rc);
  if (!store)
    return rc;
  auto report = store->optimize();
  if (!report) {
    std::cerr << report.st.message << "\n";
    return workflow_failed;
  }
  for (const auto& table : report.value.analyzed)
    std::cout << "analyzed " << table << "\n";
  for (const auto& index : report.value.missing_indexes)
    std::cout << "missing index " << index << "\n";
  if (report.value.missing_indexes.empty()) {
    std::cout << "all expected indexes are present\n";
    return ok;
  }
  std::cout << "fix: run `hishamos migrate` again: it rebuilds missing and "
               "invalid indexes (concurrently, without blocking writes)\n";
  return workflow_failed;
}

int finalize_command(const std::string& config_file,
                     const common_options& opts) {
  int rc = ok;
  auto store = open_migrated(config_file, opts, rc);
  if (!store)
    return rc;
  auto before = store->settings();
  if (!before) {
    std::cerr << before.st.message << "\n";
    return workflow_failed;
  }
  if (before.value.definitions_by_hash && before.value.compact_decisions &&
      before.value.ledger_with_checkpoints) {
    std::cout << "nothing to do: the store keeps definitions by hash, "
                 "routing decisions compact and ledger lines with their "
                 "checkpoints already\n";
    return ok;
  }
  if (auto st = store->adopt_release_formats(); !st) {
    std::cerr << st.message << "\n";
    return workflow_failed;
  }
  std::cout << "the store now says to keep each execution definition once, by "
               "hash, each routing decision in its compact form and each "
               "step's ledger line in its checkpoint's row; nodes "
               "read it at start, so restart them (a node whose "
               "store.definitions_by_hash is set keeps to that setting); a "
               "node of a release before this one can no longer run on this "
               "store\n";
  return ok;
}

int audit_verify_command(const std::string& config_file,
                         const common_options& opts) {
  int rc = ok;
  auto store = open_migrated(config_file, opts, rc);
  if (!store)
    return rc;
  persistence::status st;
  auto check = persistence::verify_audit_chain(*store, st);
  if (!st) {
    std::cerr << "cannot read the audit log: " << st.message << "\n";
    return workflow_failed;
  }
  if (!check.ok) {
    std::cout << "audit chain BROKEN after " << check.rows
              << " rows: " << check.problem << "\n";
    return workflow_failed;
  }
  std::cout << "audit chain intact: " << check.rows << " rows\n";
  return ok;
}

int migrate_command(const std::string& config_file,
                    const common_options& opts) {
  int rc = ok;
  auto store = open_migrated(config_file, opts, rc);
  if (!store)
    return rc;
  auto version = store->schema_version();
  std::cout << "store is at schema version " << version.value << "\n";
  return ok;
}

} // namespace hishamos::cli
