#include <csignal>
#include <iostream>

#include <spdlog/spdlog.h>

#include "admin/http_server.hpp"
#include "apps/hishamos/commands.hpp"
#include "apps/hishamos/setup.hpp"
#include "hishamos/node.hpp"

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

} // namespace

int node_command(const std::string& config_file, bool dev,
                 const common_options& opts) {
  auto signals = block_stop_signals();
  auto options = node_options_from(dev ? "" : config_file, opts);
  if (!options) {
    print_problems(options.errors());
    return bad_input;
  }
  auto listen =
      config::split_host_port(options->config.http_listen, "http.listen");
  if (!listen) {
    print_problems(listen.errors());
    return bad_input;
  }
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
  std::cout << "hishamos node '" << n.id() << "' ready\n"
            << "  admin HTTP: http://" << listen->first << ":" << *port << "\n"
            << "  store:      " << persistence::redact_url(store_url) << "\n"
            << "  catalog:    " << catalogs << "\n"
            << "  workflows:  " << n.catalog()->workflows.size()
            << ", agents: " << n.catalog()->agents.size()
            << ", resumed executions: " << n.resumed() << std::endl;
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

int migrate_command(const std::string& config_file,
                    const common_options& opts) {
  auto options = node_options_from(config_file, opts, false);
  if (!options) {
    print_problems(options.errors());
    return bad_input;
  }
  auto store = persistence::open_store(options->config.store_url);
  if (!store) {
    std::cerr << store.st.message << "\n";
    return workflow_failed;
  }
  if (auto st = store.value->migrate(); !st) {
    std::cerr << st.message << "\n";
    return workflow_failed;
  }
  auto version = store.value->schema_version();
  std::cout << "store " << persistence::redact_url(options->config.store_url)
            << " is at schema version " << version.value << "\n";
  return ok;
}

} // namespace hishamos::cli
