#include "persistence/audit_chain.hpp"

#include "persistence/record_store.hpp"

#include <nlohmann/json.hpp>

#include "model/digest.hpp"

namespace hishamos::persistence {

namespace {

// The details as one canonical text: a store may respace JSON (jsonb).
std::string canonical(const std::string& details) {
  auto j = nlohmann::json::parse(details, nullptr, false);
  return j.is_discarded() ? details : j.dump();
}

} // namespace

std::string audit_hash(const std::string& prev_hash, std::int64_t id,
                       const audit_event& e) {
  auto text = prev_hash + "\n" + std::to_string(id) + "\n" +
              std::to_string(e.created_at_ms) + "\n" + e.user_id + "\n" +
              e.action + "\n" + canonical(e.details);
  return model::sha256_hex(text);
}

void audit_verifier::feed(const std::vector<audit_row>& rows) {
  for (const auto& r : rows) {
    if (!check_.ok)
      return;
    ++check_.rows;
    auto fail = [&](std::string why) {
      check_.ok = false;
      check_.first_bad_id = r.id;
      check_.problem = "audit row " + std::to_string(r.id) + ": " + why;
    };
    if (last_id_ != 0 && r.id != last_id_ + 1)
      return fail("follows row " + std::to_string(last_id_) + ": the " +
                  std::to_string(r.id - last_id_ - 1) +
                  " row(s) between were deleted");
    if (r.prev_hash != last_hash_)
      return fail("does not continue the chain of the row before it (a row "
                  "was inserted or deleted before it)");
    if (audit_hash(r.prev_hash, r.id, r.event) != r.hash)
      return fail("was edited: its contents no longer match its hash");
    last_id_ = r.id;
    last_hash_ = r.hash;
  }
}

audit_check audit_verifier::finish(const audit_head& head) {
  if (!check_.ok)
    return check_;
  if (check_.rows == 0 && head.last_hash.empty())
    return check_; // nothing chained yet
  if (head.last_id != last_id_ || head.last_hash != last_hash_) {
    check_.ok = false;
    check_.first_bad_id = last_id_ + 1;
    check_.problem = head.last_id > last_id_
                         ? "the chain ends at row " + std::to_string(last_id_) +
                               " but its head says " +
                               std::to_string(head.last_id) +
                               ": the newest rows were deleted"
                         : "the chain's head does not match its newest row " +
                               std::to_string(last_id_);
  }
  return check_;
}

audit_check verify_audit_chain(record_store& db, status& st) {
  audit_verifier v;
  std::int64_t after = 0;
  for (;;) {
    auto rows = db.audit_rows(after, 5000);
    if (!rows) {
      st = rows.st;
      return {};
    }
    if (rows.value.empty())
      break;
    v.feed(rows.value);
    after = rows.value.back().id;
  }
  auto head = db.audit_chain_head();
  if (!head) {
    st = head.st;
    return {};
  }
  return v.finish(head.value);
}

} // namespace hishamos::persistence
