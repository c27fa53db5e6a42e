#pragma once

#include <string>

#include "apps/hishamos/commands.hpp"
#include "hishamos/node.hpp"
#include "model/result.hpp"
#include "persistence/store.hpp"

namespace hishamos::cli {

/// Node options from a config file ("" = defaults), the environment and
/// the command line; with `load_catalog` the catalog too.
model::result<node_options> node_options_from(const std::string& config_file,
                                              const common_options& opts,
                                              bool load_catalog = true);

/// Prints one line per problem to stderr.
void print_problems(const model::problems& xs);

/// Records what a command is about to change, before it changes it (the
/// command refuses when this fails: fail closed), with the operating-system
/// user who ran it. Never with a secret's value.
[[nodiscard]] bool audit_command(persistence::store& db,
                                 const std::string& action,
                                 const std::string& subject);

} // namespace hishamos::cli
