#include "providers/response_cache.hpp"

#include <nlohmann/json.hpp>

#include "model/digest.hpp"

namespace hishamos::providers {

std::string cache_key(const config::provider_settings& p,
                      const chat_call& call) {
  auto text = nlohmann::json{{"type", p.type},
                             {"base_url", p.base_url},
                             {"model", call.model},
                             {"messages",
                              {{{"role", "user"}, {"content", call.prompt}}}},
                             {"temperature", call.temperature},
                             {"max_tokens", call.max_tokens}}
                  .dump();
  return model::sha256_hex(text);
}

std::optional<cached_answer> response_cache::get(const std::string& key) {
  auto it = index_.find(key);
  if (it == index_.end())
    return std::nullopt;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->second;
}

void response_cache::put(const std::string& key, cached_answer value) {
  if (auto it = index_.find(key); it != index_.end()) {
    bytes_ -= cost_of(*it->second);
    lru_.erase(it->second);
    index_.erase(it);
  }
  entry e{key, std::move(value)};
  auto size = cost_of(e);
  if (size > max_bytes_)
    return; // would evict everything and still not fit
  lru_.push_front(std::move(e));
  index_[key] = lru_.begin();
  bytes_ += size;
  while (bytes_ > max_bytes_) {
    bytes_ -= cost_of(lru_.back());
    index_.erase(lru_.back().first);
    lru_.pop_back();
  }
}

} // namespace hishamos::providers
