#pragma once

// SHA-256, the one digest the runtime uses: checkpoint checksums, kept
// definitions, the audit chain, API keys and tokens, the response cache.

#include <cstddef>
#include <string>
#include <string_view>

namespace hishamos::model {

/// Lower-case hex of the first `bytes` bytes (at most 32) of SHA-256(text).
[[nodiscard]] std::string sha256_hex(std::string_view text, size_t bytes = 32);

} // namespace hishamos::model
