// The hishamos command: dev, node, run, validate, migrate, db optimize.

#include <CLI/CLI.hpp>

#include "apps/hishamos/commands.hpp"

int main(int argc, char** argv) {
  using namespace hishamos::cli;
  CLI::App app{"HishamOS: a durable runtime for AI agents and their workflows"};
  app.require_subcommand(1);
  common_options common;
  auto add_common = [&](CLI::App* cmd) {
    cmd->add_option(
        "--catalog", common.catalog_paths,
        "catalog directory (agents/, templates/, workflows/); repeatable");
    cmd->add_option("--store", common.store_url,
                    "store URL, e.g. sqlite:var/hishamos.db");
  };

  std::string config_file;
  auto* node =
      app.add_subcommand("node", "run one node configured by a node.yaml");
  node->add_option("--config", config_file, "node config file")->required();
  add_common(node);

  auto* dev = app.add_subcommand(
      "dev",
      "run one node with defaults (./var, built-in catalog, 127.0.0.1:8080)");
  add_common(dev);

  std::string file;
  std::vector<std::string> inputs;
  auto* run =
      app.add_subcommand("run", "run a workflow file on an embedded node");
  run->add_option("file", file, "workflow file (YAML or JSON)")->required();
  run->add_option("--input,-i", inputs,
                  "workflow input as key=value; repeatable");
  add_common(run);

  auto* validate = app.add_subcommand("validate", "check a workflow file");
  validate->add_option("file", file, "workflow file (YAML or JSON)")
      ->required();
  add_common(validate);

  auto* migrate =
      app.add_subcommand("migrate", "apply pending store migrations");
  migrate->add_option("--config", config_file, "node config file");
  add_common(migrate);

  auto* db = app.add_subcommand("db", "store maintenance");
  db->require_subcommand(1);
  auto* optimize = db->add_subcommand(
      "optimize", "refresh planner statistics and report missing indexes");
  optimize->add_option("--config", config_file, "node config file");
  add_common(optimize);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    if (*db && !*optimize) // say which subcommands there are
      std::cerr << db->help();
    return rc == 0 ? 0 : bad_input;
  }
  if (*node)
    return node_command(config_file, false, common);
  if (*dev)
    return node_command("", true, common);
  if (*run)
    return run_command(file, inputs, common);
  if (*validate)
    return validate_command(file, common);
  if (*db)
    return optimize_command(config_file, common);
  return migrate_command(config_file, common);
}
