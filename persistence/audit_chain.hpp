#pragma once

// The audit log is a hash chain: each row's hash covers its id, time, user,
// action and details and the previous row's hash, and the chain's head
// (the newest id and hash) is kept apart. So an edited row no longer
// matches its hash, an inserted one breaks the chain after it, a deleted
// one leaves a gap, and rows cut from the end disagree with the head.
// Both backends write through audit_hash() and are checked by
// audit_verifier.

#include <cstdint>
#include <string>
#include <vector>

#include "persistence/errors.hpp"
#include "persistence/records.hpp"

namespace hishamos::persistence {

/// One stored audit row with its place in the chain.
struct audit_row {
  std::int64_t id = 0;
  audit_event event;
  std::string prev_hash; ///< "" for the first row of the chain.
  std::string hash;
};

/// The newest row of the chain, kept in a table of its own.
struct audit_head {
  std::int64_t last_id = 0;
  std::string last_hash;
};

/// SHA-256 hex over prev_hash, id and the event (details canonical JSON).
[[nodiscard]] std::string audit_hash(const std::string& prev_hash,
                                     std::int64_t id, const audit_event& e);

/// What a check of the chain found.
struct audit_check {
  bool ok = true;
  std::int64_t rows = 0;         ///< Rows checked.
  std::int64_t first_bad_id = 0; ///< The row where it breaks (0 = none).
  std::string problem;           ///< What is wrong there, for people.
};

/// Checks the chain fed to it in id order, page by page.
class audit_verifier {
public:
  /// The next rows (ascending ids, continuing the last page).
  void feed(const std::vector<audit_row>& rows);
  /// The verdict, given the head the store keeps.
  [[nodiscard]] audit_check finish(const audit_head& head);

private:
  audit_check check_;
  std::int64_t last_id_ = 0;
  std::string last_hash_;
};

class record_store;

/// Checks the whole chain of `db`, page by page; `st` says why it could
/// not be read.
[[nodiscard]] audit_check verify_audit_chain(record_store& db, status& st);

/// A filtered, paged read of the audit log (newest first).
struct audit_query {
  std::string user_id;
  std::string action;
  std::int64_t from_ms = 0; ///< 0 = no bound.
  std::int64_t to_ms = 0;   ///< exclusive; 0 = no bound.
  int page = 1;
  int limit = 50;
};

struct audit_page {
  std::vector<audit_row> rows;
  std::int64_t total = 0;
};

} // namespace hishamos::persistence
