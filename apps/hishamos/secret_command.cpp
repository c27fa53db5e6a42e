// hishamos secret set|list|rotate-kek|new-kek: the store's encrypted
// secrets (security/secret_box.hpp). Values are read from standard input
// and never printed.

#include <iostream>

#include "apps/hishamos/commands.hpp"
#include "apps/hishamos/setup.hpp"
#include "config/node_config.hpp"
#include "persistence/open_store.hpp"
#include "security/secret_box.hpp"

namespace hishamos::cli {

int secret_command(const secret_options& s, const common_options& opts) {
  if (s.action == "new-kek") {
    std::cout << security::new_kek_line() << "\n";
    return ok;
  }
  auto options = node_options_from(s.config_file, opts, false);
  if (!options) {
    print_problems(options.errors());
    return bad_input;
  }
  auto store = persistence::open_store(options->config.store_url);
  if (!store || !store.value->migrate()) {
    std::cerr << "cannot open the store "
              << persistence::redact_url(options->config.store_url) << "\n";
    return workflow_failed;
  }
  auto& db = *store.value;
  if (s.action == "list") {
    auto rows = db.secrets();
    for (const auto& r : rows.value)
      std::cout << r.name << "\tkek " << r.kek_id << "\n";
    return rows ? ok : workflow_failed;
  }
  auto ring = security::load_key_ring(options->config.kek_file);
  if (!ring) {
    print_problems(ring.errors());
    return bad_input;
  }
  if (s.action == "set") {
    if (s.name.empty() || s.name.size() > 128 ||
        s.name.find('/') != std::string::npos) {
      std::cerr << "a secret's name is 1 to 128 characters without '/'\n";
      return bad_input;
    }
    std::string value;
    if (s.value_file.empty()) {
      std::getline(std::cin, value);
    } else {
      auto text = config::read_file(s.value_file);
      if (!text) {
        print_problems(text.errors());
        return bad_input;
      }
      value = *text;
      while (!value.empty() && (value.back() == '\n' || value.back() == '\r'))
        value.pop_back();
    }
    if (value.empty()) {
      std::cerr << "no value on standard input\n";
      return bad_input;
    }
    if (!audit_command(db, "secret.set", s.name))
      return workflow_failed;
    if (auto st = db.put_secret(security::seal_secret(*ring, s.name, value));
        !st) {
      std::cerr << st.message << "\n";
      return workflow_failed;
    }
    std::cout << "secret " << s.name << " stored (kek " << ring->keys.front().id
              << "); use it as secret://" << s.name << "\n";
    return ok;
  }
  // rotate-kek: every data key wrapped again under the active KEK.
  if (!audit_command(db, "secret.rotate_kek", ring->keys.front().id))
    return workflow_failed;
  auto rows = db.secrets();
  int moved = 0;
  for (const auto& r : rows.value) {
    if (r.kek_id == ring->keys.front().id)
      continue;
    auto again = security::rewrap_secret(*ring, r);
    if (!again) {
      print_problems(again.errors());
      return workflow_failed;
    }
    if (auto st = db.put_secret(*again); !st) {
      std::cerr << st.message << "\n";
      return workflow_failed;
    }
    ++moved;
  }
  std::cout << moved << " secret(s) re-wrapped under kek "
            << ring->keys.front().id
            << "; older keys may leave the key ring now\n";
  return ok;
}

} // namespace hishamos::cli
