#pragma once

// The store's secrets for the provider gateway (secret://NAME), read and
// decrypted once at a node's start. Free of CAF.

#include <memory>

#include "config/node_config.hpp"
#include "model/result.hpp"
#include "persistence/store_pool.hpp"
#include "providers/secrets.hpp"

namespace hishamos {

/// The store's secrets, decrypted with the node's key ring: none when no
/// provider refers to a secret://; a secret that does not open (an unknown
/// KEK, a tampered row) is a problem naming it.
model::result<std::shared_ptr<const providers::secret_values>>
load_stored_secrets(const config::node_config& config,
                    persistence::store_pool& pool);

} // namespace hishamos
