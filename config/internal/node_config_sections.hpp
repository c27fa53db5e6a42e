#pragma once

// The sections of node.yaml that hold lists and maps of their own
// (providers, dispatch, budgets), read into a node_config by
// parse_node_config (config/node_config.cpp). Each reports its problems
// to `in` and leaves the defaults where a value is bad.

#include "config/node_config.hpp"
#include "model/yaml_reader.hpp"

namespace hishamos::config {

void parse_providers(model::yaml_reader& in, const YAML::Node& n,
                     node_config& cfg);
void parse_dispatch(model::yaml_reader& in, const YAML::Node& n,
                    dispatch_config& d);
void parse_budgets(model::yaml_reader& in, const YAML::Node& n,
                   node_config& cfg);

} // namespace hishamos::config
