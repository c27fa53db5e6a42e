#include "apps/hishamos/setup.hpp"

#include <iostream>

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

} // namespace hishamos::cli
