// The hishamos command: dev, node, run, validate, migrate, db optimize,
// db finalize, user, apikey, auth, secret, audit, backup, restore.

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
  auto add_afresh = [&](CLI::App* cmd) {
    cmd->add_flag("--start-afresh", common.start_afresh,
                  "start even on a store that is empty, another or younger "
                  "than the one this node saw (store.seen_file)");
  };
  add_afresh(node);

  auto* dev = app.add_subcommand(
      "dev",
      "run one node with defaults (./var, built-in catalog, 127.0.0.1:8080)");
  add_common(dev);
  add_afresh(dev);

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
  auto* finalize = db->add_subcommand(
      "finalize", "once every node runs this release: turn on what earlier "
                  "releases cannot read (definitions kept by hash, compact "
                  "routing decisions, ledger lines with their checkpoints)");
  finalize->add_option("--config", config_file, "node config file");
  add_common(finalize);

  user_options users;
  auto* user = app.add_subcommand("user", "add, change and list users");
  user->require_subcommand(1);
  for (const char* action : {"add", "passwd", "disable", "enable", "list"}) {
    auto* cmd = user->add_subcommand(
        action, std::string{action} == "add"
                    ? "add a user (password on standard input)"
                : std::string{action} == "passwd"
                    ? "set a user's password (on standard input)"
                    : std::string{action} + " users");
    if (std::string{action} != "list")
      cmd->add_option("username", users.username, "username")->required();
    if (std::string{action} == "add")
      cmd->add_option("--role", users.role, "admin, operator, author or viewer")
          ->required();
    cmd->add_option("--config", users.config_file, "node config file");
    add_common(cmd);
    cmd->callback([&users, action] { users.action = action; });
  }
  auto* apikey = app.add_subcommand("apikey", "API keys");
  apikey->require_subcommand(1);
  auto* key_create = apikey->add_subcommand(
      "create", "create an API key for a user; prints it once");
  key_create->add_option("--user", users.username, "the key's owner")
      ->required();
  key_create->add_option("--role", users.role,
                         "the key's role (default: the owner's)");
  key_create->add_option("--name", users.key_name, "what the key is for");
  key_create->add_option("--config", users.config_file, "node config file");
  add_common(key_create);
  key_create->callback([&users] { users.action = "apikey"; });
  auto* auth = app.add_subcommand("auth", "access-token signing keys");
  auth->require_subcommand(1);
  auto* rotate = auth->add_subcommand(
      "rotate-key", "sign access tokens with a new key from now on");
  rotate->add_option("--config", users.config_file, "node config file");
  add_common(rotate);
  rotate->callback([&users] { users.action = "rotate-key"; });

  secret_options secrets;
  auto* secret = app.add_subcommand("secret", "the store's encrypted secrets");
  secret->require_subcommand(1);
  for (const char* action : {"set", "list", "rotate-kek", "new-kek"}) {
    std::string a = action;
    auto* cmd = secret->add_subcommand(
        a, a == "set"          ? "store a secret (value on standard input)"
           : a == "list"       ? "list the secrets' names (never values)"
           : a == "rotate-kek" ? "wrap every secret under the active KEK"
                               : "print a new key-encryption key line");
    if (a == "set") {
      cmd->add_option("name", secrets.name, "its name (secret://NAME)")
          ->required();
      cmd->add_option("--from-file", secrets.value_file,
                      "read the value from this file instead of stdin");
    }
    cmd->add_option("--config", secrets.config_file, "node config file");
    add_common(cmd);
    cmd->callback([&secrets, a] { secrets.action = a; });
  }

  std::string backup_file;
  auto* backup = app.add_subcommand(
      "backup", "copy the store into a file (SQLite's backup, pg_dump -F c)");
  auto* restore = app.add_subcommand(
      "restore", "copy a backup into the config's store, which must be empty");
  for (auto* cmd : {backup, restore}) {
    cmd->add_option("file", backup_file, "the backup file")->required();
    cmd->add_option("--config", config_file, "node config file");
    add_common(cmd);
  }

  auto* audit = app.add_subcommand("audit", "the audit log");
  audit->require_subcommand(1);
  auto* audit_verify = audit->add_subcommand(
      "verify", "check the audit log's hash chain; names the first bad row");
  audit_verify->add_option("--config", config_file, "node config file");
  add_common(audit_verify);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    if (*db && !*optimize && !*finalize) // say which subcommands there are
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
  if (*secret)
    return secret_command(secrets, common);
  if (*audit)
    return audit_verify_command(config_file, common);
  if (*backup)
    return backup_command(config_file, backup_file, common);
  if (*restore)
    return restore_command(config_file, backup_file, common);
  if (*user || *apikey || *auth)
    return user_command(users, common);
  if (*finalize)
    return finalize_command(config_file, common);
  if (*db)
    return optimize_command(config_file, common);
  return migrate_command(config_file, common);
}
