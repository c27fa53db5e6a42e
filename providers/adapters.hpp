#pragma once

// The wire formats of the HTTP providers, as pure functions: the request
// an `openai` (OpenAI-compatible chat completions: OpenAI, vLLM, Ollama,
// llama.cpp's server) or `anthropic` (messages API) endpoint expects, and
// what its answer means. Every malformed answer is a clear error.

#include <cstdint>
#include <string>

#include "config/node_config.hpp"
#include "providers/http_client.hpp"

namespace hishamos::providers {

/// One chat call to a model.
struct chat_call {
  std::string model;
  std::string prompt; ///< The user message.
  double temperature = 0;
  int max_tokens = 1024;
};

/// The HTTP request for `call` on a provider of type openai or anthropic;
/// `api_key` is the resolved key ("" = none sent).
[[nodiscard]] http_request build_request(const config::provider_settings& p,
                                         const chat_call& call,
                                         const std::string& api_key);

/// What an answer means.
struct chat_result {
  bool ok = false;
  std::string text;       ///< The model's output, or the error in words.
  bool retryable = false; ///< 429, 5xx, timeouts, dropped connections.
  /// From Retry-After (seconds or an HTTP date); -1 = not given.
  std::int64_t retry_after_ms = -1;
  int tokens_in = 0;
  int tokens_out = 0;
  int cached_tokens = 0; ///< Prompt tokens the provider served from its cache.
};

/// Reads an answer of a provider of type `type`. Error texts quote at most
/// 200 characters of the body.
[[nodiscard]] chat_result parse_response(const std::string& type,
                                         const http_response& res);

/// Retry-After as milliseconds: delta-seconds or an HTTP date (relative
/// to `now_ms`, wall clock); -1 when absent or unreadable.
[[nodiscard]] std::int64_t retry_after_ms(const std::string& value,
                                          std::int64_t now_ms);

} // namespace hishamos::providers
