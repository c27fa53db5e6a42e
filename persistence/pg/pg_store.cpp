// Opening a PostgreSQL store, and the helpers every role file uses.

#include "persistence/pg/pg_store.hpp"

#include "persistence/open_store.hpp"
#include "persistence/pg/connection.hpp"

namespace hishamos::persistence::pg {

bool retryable_state(const std::string& sqlstate) {
  auto cls = sqlstate.substr(0, 2);
  return cls == "08" || cls == "40" || cls == "57" || cls == "53";
}

std::string quoted_list(pqxx::transaction_base& tx,
                        const std::vector<std::string>& ids) {
  std::string in;
  for (const auto& id : ids)
    in += (in.empty() ? "" : ",") + tx.quote(id);
  return in;
}

outcome<std::unique_ptr<store>> open(const std::string& url) {
  outcome<std::unique_ptr<store>> out;
  out.st = guarded("connecting to PostgreSQL at " + redact_url(url),
                   [&]() -> status {
                     auto conn = std::make_unique<pqxx::connection>(url);
                     // A paused or partitioned node must not keep row locks
                     // that block the node taking over: our transactions never
                     // sit idle, so the server may end one that does after a
                     // moment.
                     pqxx::nontransaction{*conn}.exec(
                         "SET idle_in_transaction_session_timeout = 2000");
                     prepare_statements(*conn);
                     out.value = std::make_unique<pg_store>(std::move(conn));
                     return {};
                   });
  if (!out.st)
    out.st.message +=
        "; fix: check that the server runs and the URL, user and password "
        "are right";
  return out;
}

} // namespace hishamos::persistence::pg
