#include "runtime/store_watermark.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace hishamos::runtime {

namespace {

// What the file says; nullopt when there is none. A file that exists but
// does not parse is a problem: it is the only memory of the store.
model::result<std::optional<persistence::store_mark>>
read_seen(const std::string& path) {
  std::ifstream in{path};
  if (!in)
    return std::optional<persistence::store_mark>{};
  std::stringstream text;
  text << in.rdbuf();
  auto j = nlohmann::json::parse(text.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("store_id"))
    return model::problem{path, 0, "",
                          "the node's record of its store does not parse",
                          "restore it, or start with --start-afresh if the "
                          "store is the one to keep"};
  persistence::store_mark out;
  out.id = j.value("store_id", "");
  out.executions = j.value("executions", std::int64_t{0});
  out.checkpoints = j.value("checkpoints", std::int64_t{0});
  return std::optional<persistence::store_mark>{out};
}

// Write, fsync, rename, fsync the directory: a crash leaves the old file
// or the new one, never half of one.
bool write_seen(const std::string& path, const persistence::store_mark& m) {
  nlohmann::json j{{"store_id", m.id},
                   {"executions", m.executions},
                   {"checkpoints", m.checkpoints},
                   {"updated_at_ms", persistence::now_ms()}};
  auto text = j.dump() + "\n";
  auto tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return false;
  bool ok = ::write(fd, text.data(), text.size()) ==
                static_cast<ssize_t>(text.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0)
    return false;
  auto dir = std::filesystem::path{path}.parent_path().string();
  int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return true;
}

std::string describe(const persistence::store_mark& m) {
  return std::to_string(m.executions) + " execution(s) and " +
         std::to_string(m.checkpoints) + " checkpoint(s)";
}

// Why the store is not the one seen; "" when it is.
std::string difference(const persistence::store_mark& was,
                       const persistence::store_mark& now) {
  if (now.executions == 0 && now.checkpoints == 0 &&
      (was.executions > 0 || was.checkpoints > 0))
    return "the store is empty, but this node saw it hold " + describe(was);
  if (now.id != was.id)
    return "the store is another one (identity " + now.id.substr(0, 40) +
           ") than this node saw (" + was.id.substr(0, 40) + ", holding " +
           describe(was) + ")";
  if (now.executions < was.executions || now.checkpoints < was.checkpoints)
    return "the store holds " + describe(now) + ", fewer than the " +
           describe(was) + " this node saw: it lost committed work";
  return {};
}

} // namespace

std::string store_watermark::seen_file_of(const std::string& store_url,
                                          const std::string& configured) {
  if (configured == "off")
    return {};
  if (!configured.empty())
    return configured;
  const std::string prefix = "sqlite:";
  if (store_url.rfind(prefix, 0) != 0)
    return {};
  auto path = store_url.substr(prefix.size());
  if (path.empty() || path == ":memory:")
    return {};
  return path + ".seen";
}

model::result<std::unique_ptr<store_watermark>>
store_watermark::check(persistence::store_pool& pool, const std::string& path,
                       bool start_afresh, std::chrono::milliseconds interval) {
  auto now =
      pool.with("store_mark", [](persistence::store& db) { return db.mark(); });
  if (!now)
    return model::problem{"", 0, "",
                          "cannot read the store's identity: " + now.st.message,
                          "check that the store is reachable"};
  auto was = read_seen(path);
  if (!was && !start_afresh)
    return was.errors();
  if (was && *was) {
    auto why = difference(**was, now.value);
    if (!why.empty() && !start_afresh)
      return model::problem{
          path, 0, "", "refusing to start: " + why,
          "restore the store from its backup (docs/operations.md); if it "
          "is lost and this node is to start afresh on what is there, "
          "start it once with --start-afresh"};
    if (!why.empty())
      spdlog::warn("starting afresh as asked: {}", why);
  }
  if (!write_seen(path, now.value))
    return model::problem{path, 0, "",
                          std::string{"cannot write the node's record of its "
                                      "store: "} +
                              std::strerror(errno),
                          "check that its directory is writable"};
  return std::unique_ptr<store_watermark>{
      new store_watermark{pool, path, interval, now.value}};
}

store_watermark::store_watermark(persistence::store_pool& pool,
                                 std::string path,
                                 std::chrono::milliseconds interval,
                                 persistence::store_mark written)
    : pool_(pool), path_(std::move(path)), interval_(interval),
      written_(std::move(written)), thread_([this] { run(); }) {}

store_watermark::~store_watermark() {
  {
    std::lock_guard lock{mutex_};
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
  update();
}

void store_watermark::run() {
  std::unique_lock lock{mutex_};
  while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
    lock.unlock();
    update();
    lock.lock();
  }
}

// Only forward: a read that fails, or sees less than was written (a
// store being restored under the node), leaves the file as it is; one
// that sees nothing new writes nothing.
void store_watermark::update() {
  auto now = pool_.with("store_mark",
                        [](persistence::store& db) { return db.mark(); });
  if (!now || !difference(written_, now.value).empty())
    return;
  if (now.value.executions == written_.executions &&
      now.value.checkpoints == written_.checkpoints)
    return;
  if (!write_seen(path_, now.value)) {
    spdlog::warn("cannot update {}: {}", path_, std::strerror(errno));
    return;
  }
  written_ = std::move(now.value);
}

} // namespace hishamos::runtime
