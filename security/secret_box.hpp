#pragma once

// Secrets at rest (the store's `secrets` table): each value is encrypted
// with AES-256-GCM (OpenSSL EVP) under a data key of its own, and that data
// key is wrapped, also with AES-256-GCM, by a key-encryption key (KEK)
// that never enters the store. The secret's name is authenticated data of
// both, so a row moved to another name does not open. KEKs have ids: the
// key ring's first KEK wraps new secrets, older ones still open theirs,
// and rotate re-wraps every data key under the first.

#include <optional>
#include <string>
#include <vector>

#include "model/result.hpp"
#include "persistence/auth_store.hpp"

namespace hishamos::security {

struct kek {
  std::string id;
  std::string key; ///< 32 raw bytes.
};

/// KEKs, the active one first.
struct key_ring {
  std::vector<kek> keys;
  [[nodiscard]] const kek* find(const std::string& id) const;
};

/// The key ring from `file` (lines `ID BASE64KEY`, the active first; `#`
/// comments) or, when `file` is "", from HISHAMOS_KEK (`ID:BASE64KEY`).
/// Problems name the file or variable, never a key.
[[nodiscard]] model::result<key_ring> load_key_ring(const std::string& file);

/// A new KEK line for a key-ring file: `ID BASE64KEY`.
[[nodiscard]] std::string new_kek_line();

/// The row that stores `value` as `name` under the ring's active KEK.
[[nodiscard]] persistence::secret_row seal_secret(const key_ring& ring,
                                                  const std::string& name,
                                                  const std::string& value);

/// The value of a row, or a problem naming the secret and what is wrong
/// (an unknown KEK, a tag that does not verify: a tampered row).
[[nodiscard]] model::result<std::string>
open_secret(const key_ring& ring, const persistence::secret_row& row);

/// The row with its data key wrapped again under the ring's active KEK
/// (the value's ciphertext is unchanged).
[[nodiscard]] model::result<persistence::secret_row>
rewrap_secret(const key_ring& ring, const persistence::secret_row& row);

} // namespace hishamos::security
