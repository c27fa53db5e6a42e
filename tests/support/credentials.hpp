#pragma once

// Credentials for tests that talk to a node's API: an API key with a role,
// made straight in the store the node uses (as `hishamos apikey create`
// does), for the user test-<role>.

#include <memory>
#include <string>

#include <catch2/catch.hpp>

#include "persistence/open_store.hpp"
#include "security/accounts.hpp"

namespace hishamos::test {

/// A key with `role` from `accounts` (its user made if missing).
inline std::string make_api_key(security::accounts& accounts,
                                const std::string& role = "admin") {
  auto name = "test-" + role;
  auto users = accounts.users();
  REQUIRE(users);
  const persistence::user_row* user = nullptr;
  for (const auto& u : users.value)
    user = u.username == name ? &u : user;
  persistence::user_row made;
  if (!user) {
    auto got = accounts.add_user(name, "a test password " + role, role);
    INFO((got ? "" : got.error->message));
    REQUIRE(got);
    made = got.value;
    user = &made;
  }
  security::principal who{user->id, user->username, user->role};
  auto key = accounts.create_api_key(who, "tests", role, 0);
  INFO((key ? "" : key.error->message));
  REQUIRE(key);
  return key.value.key;
}

/// A key with `role` for the store at `url`, migrated first.
inline std::string make_api_key(const std::string& url,
                                const std::string& role = "admin") {
  auto store = persistence::open_store(url);
  REQUIRE(store);
  REQUIRE(store.value->migrate());
  persistence::pool_options o;
  o.size = 1;
  persistence::store_pool pool{[url] { return persistence::open_store(url); },
                               o};
  security::accounts accounts{pool};
  return make_api_key(accounts, role);
}

} // namespace hishamos::test
