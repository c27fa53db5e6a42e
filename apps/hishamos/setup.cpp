#include "apps/hishamos/setup.hpp"

#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include <nlohmann/json.hpp>

#include "config/catalog_loader.hpp"

namespace hishamos::cli {

model::result<node_options> node_options_from(const std::string& config_file,
                                              const common_options& opts,
                                              bool load_catalog) {
  node_options out;
  if (!config_file.empty()) {
    auto cfg = config::load_node_config(config_file);
    if (!cfg)
      return cfg.errors();
    out.config = std::move(*cfg);
  }
  config::apply_environment(out.config);
  if (!opts.store_url.empty())
    out.config.store_url = opts.store_url;
  out.start_afresh = opts.start_afresh;
  if (!opts.catalog_paths.empty())
    out.config.catalog_paths = opts.catalog_paths;
  if (out.config.catalog_paths.empty())
    out.config.catalog_paths = {config::builtin_catalog_path()};
  if (load_catalog) {
    auto cat = config::load_catalog(out.config.catalog_paths);
    if (!cat)
      return cat.errors();
    out.catalog = std::move(*cat);
  }
  return out;
}

void print_problems(const model::problems& xs) {
  for (const auto& p : xs)
    std::cerr << p.to_string() << "\n";
}

bool audit_command(persistence::store& db, const std::string& action,
                   const std::string& subject) {
  const char* os_user = std::getenv("USER");
  nlohmann::json details{{"via", "cli"},
                         {"subject", subject.substr(0, 128)},
                         {"os_user", os_user ? os_user : ""},
                         {"uid", static_cast<long>(::getuid())}};
  persistence::record_batch b;
  b.audit_events.push_back({"", action, details.dump(), persistence::now_ms()});
  if (auto st = db.append_records(b); !st) {
    std::cerr << "refused: the audit record of " << action
              << " cannot be written: " << st.message << "\n";
    return false;
  }
  return true;
}

} // namespace hishamos::cli
