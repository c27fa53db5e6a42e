#include "runtime/stored_secrets.hpp"

#include "security/secret_box.hpp"

namespace hishamos {

model::result<std::shared_ptr<const providers::secret_values>>
load_stored_secrets(const config::node_config& config,
                    persistence::store_pool& pool) {
  auto out = std::make_shared<providers::secret_values>();
  bool wanted = false;
  for (const auto& [name, p] : config.providers)
    wanted = wanted || p.api_key.rfind("secret://", 0) == 0;
  if (!wanted)
    return std::shared_ptr<const providers::secret_values>{out};
  auto rows = pool.with("secrets", [](auto& db) { return db.secrets(); });
  if (!rows)
    return model::problem{"", 0, "",
                          "reading the store's secrets: " + rows.st.message,
                          "check the store"};
  if (rows.value.empty())
    return std::shared_ptr<const providers::secret_values>{out};
  auto ring = security::load_key_ring(config.kek_file);
  if (!ring)
    return ring.errors();
  for (const auto& row : rows.value) {
    auto value = security::open_secret(*ring, row);
    if (!value)
      return value.errors();
    (*out)[row.name] = *value;
  }
  return std::shared_ptr<const providers::secret_values>{out};
}

} // namespace hishamos
