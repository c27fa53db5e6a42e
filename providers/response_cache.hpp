#pragma once

// L1: answers of deterministic provider calls, in process, least recently
// used first out, bounded in bytes. Keys are cache_key() hashes.

#include <cstddef>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>

#include "config/node_config.hpp"
#include "providers/adapters.hpp"

namespace hishamos::providers {

/// A cached answer: what the call returned and what it cost.
struct cached_answer {
  std::string text;
  int tokens_in = 0;
  int tokens_out = 0;
  double cost = 0; ///< What the upstream call cost: avoided by each hit.
};

/// SHA-256 (hex) of the provider's type and endpoint, the model, the
/// messages and the parameters: equal only for calls that must answer
/// alike.
[[nodiscard]] std::string cache_key(const config::provider_settings& p,
                                    const chat_call& call);

class response_cache {
public:
  explicit response_cache(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  [[nodiscard]] std::optional<cached_answer> get(const std::string& key);
  void put(const std::string& key, cached_answer value);
  [[nodiscard]] std::size_t bytes() const { return bytes_; }
  [[nodiscard]] std::size_t size() const { return index_.size(); }

private:
  using entry = std::pair<std::string, cached_answer>;
  static std::size_t cost_of(const entry& e) {
    return e.first.size() + e.second.text.size() + 64;
  }
  std::size_t max_bytes_;
  std::size_t bytes_ = 0;
  std::list<entry> lru_; ///< Most recently used first.
  std::unordered_map<std::string, std::list<entry>::iterator> index_;
};

} // namespace hishamos::providers
