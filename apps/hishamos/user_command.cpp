// hishamos user add|passwd|disable|enable|list, hishamos apikey create and
// hishamos auth rotate-key: people and credentials, straight on the store
// (for the first admin, and when no admin can sign in). Passwords are read
// from standard input, never from the command line (which `ps` shows).

#include <cstdlib>
#include <iostream>

#include "apps/hishamos/commands.hpp"
#include "apps/hishamos/setup.hpp"
#include "persistence/open_store.hpp"
#include "security/accounts.hpp"

namespace hishamos::cli {

namespace {

// The accounts of the store the config and flags name (migrated), or
// nullptr after printing why not.
struct account_store {
  std::unique_ptr<persistence::store_pool> pool;
  std::unique_ptr<security::accounts> accounts;
};

account_store open_accounts(const user_options& u, const common_options& opts,
                            int& rc) {
  auto options = node_options_from(u.config_file, opts, false);
  if (!options) {
    print_problems(options.errors());
    rc = bad_input;
    return {};
  }
  auto url = options->config.store_url;
  auto store = persistence::open_store(url);
  if (!store || !store.value->migrate()) {
    std::cerr << "cannot open the store " << persistence::redact_url(url)
              << (store ? "" : ": " + store.st.message) << "\n";
    rc = workflow_failed;
    return {};
  }
  persistence::pool_options po;
  po.size = 1;
  account_store out;
  out.pool = std::make_unique<persistence::store_pool>(
      [url] { return persistence::open_store(url); }, po);
  // The node's key ring, so that a rotated signing key is stored as the
  // node stores it.
  std::optional<security::key_ring> ring;
  const char* env = std::getenv("HISHAMOS_KEK");
  if (!options->config.kek_file.empty() || (env && *env)) {
    auto loaded = security::load_key_ring(options->config.kek_file);
    if (!loaded) {
      print_problems(loaded.errors());
      rc = bad_input;
      return {};
    }
    ring = *loaded;
  }
  out.accounts = std::make_unique<security::accounts>(
      *out.pool, security::auth_settings{}, std::move(ring));
  return out;
}

std::string read_password() {
  std::string line;
  std::getline(std::cin, line);
  if (!line.empty() && line.back() == '\r')
    line.pop_back();
  return line;
}

template <class T> int report(const security::answer<T>& got) {
  if (got)
    return ok;
  std::cerr << got.error->message << " (" << got.error->code << "); "
            << got.error->fix << "\n";
  return got.error->status == 503 ? workflow_failed : bad_input;
}

} // namespace

int user_command(const user_options& u, const common_options& opts) {
  int rc = ok;
  auto db = open_accounts(u, opts, rc);
  if (!db.accounts)
    return rc;
  auto& accounts = *db.accounts;
  // What changes is recorded first; listing changes nothing.
  if (u.action != "list") {
    bool audited =
        db.pool
            ->with("audit",
                   [&](persistence::store& s) {
                     return persistence::status{
                         audit_command(s, "cli.user." + u.action, u.username)
                             ? persistence::errc::ok
                             : persistence::errc::unavailable,
                         ""};
                   })
            .code == persistence::errc::ok;
    if (!audited)
      return workflow_failed;
  }
  if (u.action == "add") {
    auto got = accounts.add_user(u.username, read_password(), u.role);
    if (got)
      std::cout << "user " << got.value.username << " (" << got.value.role
                << ") created\n";
    return report(got);
  }
  if (u.action == "passwd") {
    auto got = accounts.set_password(u.username, read_password());
    if (got)
      std::cout << "password of " << u.username
                << " changed; its sessions are signed out\n";
    return report(got);
  }
  if (u.action == "disable" || u.action == "enable") {
    auto got = accounts.set_disabled(u.username, u.action == "disable");
    if (got)
      std::cout << "user " << u.username << " " << u.action << "d\n";
    return report(got);
  }
  if (u.action == "list") {
    auto got = accounts.users();
    for (const auto& x : got.value)
      std::cout << x.username << "\t" << x.role << "\t"
                << (x.disabled ? "disabled" : "enabled") << "\t"
                << (x.totp_confirmed ? "2fa" : "no-2fa") << "\n";
    return report(got);
  }
  if (u.action == "apikey") {
    auto owner = accounts.users();
    const persistence::user_row* found = nullptr;
    for (const auto& x : owner.value)
      found = x.username == u.username ? &x : found;
    if (!found) {
      std::cerr << "no user " << u.username
                << "; create one with `hishamos user add`\n";
      return bad_input;
    }
    security::principal who{found->id, found->username, found->role};
    auto got = accounts.create_api_key(
        who, u.key_name, u.role.empty() ? found->role : u.role, 0);
    if (got)
      std::cout << got.value.key << "\n";
    return report(got);
  }
  auto got = accounts.rotate_signing_key();
  if (got)
    std::cout << "new signing key " << got.value
              << " signs from now on; tokens signed before stay valid\n";
  return report(got);
}

} // namespace hishamos::cli
