// Opening the embedded store, and the statement helpers every role file
// uses.

#include "persistence/sqlite/sqlite_store.hpp"

#include <chrono>
#include <filesystem>
#include <mutex>
#include <thread>

#include "persistence/sqlite/connection.hpp"

namespace hishamos::persistence::sqlite {

// A full disk, an I/O error or another writer may pass: the caller tries
// again (HTTP 503), and nothing is taken for a bad request. Extended codes
// (SQLITE_IOERR_WRITE, ...) are judged by their primary code.
errc code_of(int rc) {
  switch (rc & 0xff) {
  case SQLITE_BUSY:
  case SQLITE_LOCKED:
  case SQLITE_IOERR:
  case SQLITE_FULL:
  case SQLITE_PROTOCOL:
  case SQLITE_CANTOPEN:
    return errc::unavailable;
  case SQLITE_CORRUPT:
  case SQLITE_NOTADB:
    return errc::corrupt;
  default:
    return errc::invalid;
  }
}

statement::statement(sqlite3* db, const char* sql) : db_(db) {
  sqlite3_stmt* raw = nullptr;
  rc_ = sqlite3_prepare_v2(db, sql, -1, &raw, nullptr);
  stmt_.reset(raw);
}

void statement::bind_null(int i) { sqlite3_bind_null(stmt_.get(), i); }

statement sqlite_store::kept(const char* sql) {
  auto it = kept_.find(sql);
  if (it == kept_.end()) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v3(db_.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &raw,
                           nullptr) != SQLITE_OK) {
      sqlite3_finalize(raw);
      return {db_.get(), sql}; // prepared again, to report its error
    }
    it = kept_.emplace(sql, stmt_ptr{raw}).first;
  }
  return {db_.get(), it->second.get()};
}

void statement::bind_row(int base, const task_result_record& r) {
  bind_one(base + 1, r.execution_id);
  bind_one(base + 2, r.step_id);
  bind_one(base + 3, r.agent_id);
  bind_one(base + 4, r.cost);
  bind_one(base + 5, r.latency_ms);
  bind_line(base + 5, r);
}

void statement::bind_line(int base, const task_result_record& r) {
  bind_one(base + 1, r.created_at_ms);
  if (r.quality_score < 0)
    bind_null(base + 2);
  else
    bind_one(base + 2, r.quality_score);
  bind_one(base + 3, r.tokens_in);
  bind_one(base + 4, r.tokens_out);
  if (r.decision.empty())
    bind_null(base + 5);
  else
    bind_one(base + 5, r.decision);
  if (r.template_version > 0)
    bind_one(base + 6, r.template_version);
  else
    bind_null(base + 6);
  bind_one(base + 7, r.tokens_cached);
  bind_one(base + 8, r.cost_avoided);
  bind_one(base + 9, r.provider);
  bind_one(base + 10, r.model);
  bind_one(base + 11, r.workflow);
  bind_one(base + 12, r.department);
}

std::string statement::text(int col) const {
  auto p = sqlite3_column_blob(stmt_.get(), col);
  return p ? std::string(static_cast<const char*>(p),
                         sqlite3_column_bytes(stmt_.get(), col))
           : std::string{};
}

void statement::bind_one(int i, const std::string& x) {
  sqlite3_bind_text(stmt_.get(), i, x.data(), static_cast<int>(x.size()),
                    SQLITE_TRANSIENT);
}

void statement::bind_one(int i, const blob& x) {
  sqlite3_bind_blob(stmt_.get(), i, x.bytes.data(),
                    static_cast<int>(x.bytes.size()), SQLITE_TRANSIENT);
}

status sqlite_store::exec(const std::string& sql) {
  char* msg = nullptr;
  int rc = sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, &msg);
  std::string text = msg ? msg : "";
  sqlite3_free(msg);
  if (rc != SQLITE_OK)
    return {code_of(rc), "sqlite: " + text};
  return {};
}

outcome<std::int64_t> sqlite_store::count(const char* what, const char* sql) {
  statement s{db_.get(), sql};
  if (int rc = s.step(); rc != SQLITE_ROW)
    return {s.error(what, rc)};
  return {{}, s.integer(0)};
}

namespace {

// SQLite's own busy handler (sqlite3_busy_timeout) sleeps 1, 2, 5, ... up
// to 100 ms between tries, so a writer that missed the write lock by a few
// microseconds (checkpoint writers, the batch writer and the audit writer
// take turns) slept 25-50 ms. This one tries again after 100 us, backing
// off to 2 ms, for about 5 s in all before SQLITE_BUSY.
int retry_when_busy(void*, int count) {
  constexpr int max_tries = 2600;
  if (count >= max_tries)
    return 0;
  std::this_thread::sleep_for(
      std::chrono::microseconds{std::min(2000, 100 << std::min(count, 5))});
  return 1;
}

// SQLite gives each new page cache a bulk allocation of about 90 KB up
// front, also the in-memory tables it builds for a constant IN list of
// more than two values (the state CHECK and the unfinished-owner index
// evaluate one on every insert and state change). Freed at the end of
// each statement, that memory reached the top of the writer's heap, which
// glibc then gave back to the kernel, only to fault it in again on the
// next statement: 120,000 page faults and about a fifth of the writer's
// time for 15,000 steps. Without the bulk allocation, pages come one at a
// time from malloc's free lists. Process-wide and only possible before
// SQLite initialises: if the embedder started SQLite first, its own
// configuration stays.
void configure_sqlite_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    // SQLITE_MISUSE when SQLite is initialised already: nothing changes.
    (void)sqlite3_config(SQLITE_CONFIG_PAGECACHE, nullptr, 0, 0);
  });
}

} // namespace

outcome<std::unique_ptr<store>> open(const std::string& path) {
  configure_sqlite_once();
  std::error_code ec;
  auto parent = std::filesystem::path{path}.parent_path();
  if (!parent.empty())
    std::filesystem::create_directories(parent, ec);
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                               SQLITE_OPEN_FULLMUTEX,
                           nullptr);
  db_ptr db{raw};
  if (rc != SQLITE_OK)
    return {{errc::unavailable,
             "cannot open SQLite store '" + path +
                 "': " + (raw ? sqlite3_errmsg(raw) : "out of memory") +
                 "; fix: check the directory exists and is writable"}};
  sqlite3_busy_handler(raw, retry_when_busy, nullptr);
  auto s = std::make_unique<sqlite_store>(std::move(db));
  // Switching a new file to WAL needs an exclusive lock, and SQLite answers
  // SQLITE_BUSY at once, without its busy handler, to the connection that
  // loses a race to do it first (a pool opening connections together): that
  // one retries, for as long as the busy timeout would have waited.
  status wal = s->exec("PRAGMA journal_mode=WAL");
  for (int i = 0; !wal && wal.code == errc::unavailable && i < 100; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
    wal = s->exec("PRAGMA journal_mode=WAL");
  }
  if (!wal)
    return {wal};
  for (const char* pragma :
       {"PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON"})
    if (auto st = s->exec(pragma); !st)
      return {st};
  return {{}, std::move(s)};
}

} // namespace hishamos::persistence::sqlite
