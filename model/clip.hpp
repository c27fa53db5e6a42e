#pragma once

// Bounding text that came from outside (an agent's error, a peer's
// answer) before it is stored or shown: cut at a byte limit without
// splitting a UTF-8 sequence, so PostgreSQL still takes it as text.

#include <string>
#include <string_view>

namespace hishamos::model {

/// `text` when it fits in `max_bytes`; otherwise its longest prefix that
/// fits and ends on a character boundary, followed by "…".
[[nodiscard]] inline std::string clip_utf8(std::string_view text,
                                           size_t max_bytes) {
  if (text.size() <= max_bytes)
    return std::string{text};
  size_t n = max_bytes;
  // A continuation byte (10xxxxxx) at the cut: back up to its lead byte.
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80)
    --n;
  return std::string{text.substr(0, n)} + "\xE2\x80\xA6";
}

} // namespace hishamos::model
