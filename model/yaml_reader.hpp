#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "model/result.hpp"

namespace hishamos::model {

/// Reads typed fields out of a YAML (or JSON) mapping and collects problems
/// that name the file, line and key instead of throwing. Shared by the
/// workflow, template, agent and node-config parsers.
class yaml_reader {
public:
  yaml_reader(std::string file, problems& out)
      : file_(std::move(file)), out_(out) {}

  /// Parses text; on a syntax error records a problem and returns nullopt.
  std::optional<YAML::Node> parse(const std::string& text);

  /// Records one problem at `node`'s line.
  void fail(const YAML::Node& node, std::string step, std::string message,
            std::string fix);

  /// Reports every key of `map` not in `known`, naming the key and its line.
  void reject_unknown_keys(const YAML::Node& map,
                           std::initializer_list<const char*> known,
                           const std::string& where,
                           const std::string& step = "");

  /// True when `node` is a mapping; records a problem otherwise.
  bool expect_map(const YAML::Node& node, const std::string& what,
                  const std::string& step = "");

  std::string string(const YAML::Node& map, const char* key,
                     const std::string& fallback, const std::string& step = "");
  std::string required_string(const YAML::Node& map, const char* key,
                              const std::string& step = "");
  std::int64_t integer(const YAML::Node& map, const char* key,
                       std::int64_t fallback, std::int64_t min,
                       const std::string& step = "");
  double number(const YAML::Node& map, const char* key, double fallback,
                double min, double max, const std::string& step = "");
  bool boolean(const YAML::Node& map, const char* key, bool fallback,
               const std::string& step = "");
  std::vector<std::string> strings(const YAML::Node& map, const char* key,
                                   const std::string& step = "");

  const std::string& file() const { return file_; }
  /// 1-based line of a node, 0 when unknown.
  static int line_of(const YAML::Node& node);

private:
  std::string file_;
  problems& out_;
};

} // namespace hishamos::model
