#include "providers/redis_cache.hpp"

#include <tuple>

#include <hiredis/hiredis.h>
#include <msgpack.hpp>

namespace hishamos::providers {

namespace {

/// How long Redis is left alone after it failed: a call never waits on a
/// Redis that is down for more than one timeout per pause.
constexpr std::chrono::seconds outage_pause{2};

timeval to_timeval(std::chrono::milliseconds ms) {
  return {static_cast<time_t>(ms.count() / 1000),
          static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}

using wire = std::tuple<int, std::string, int, int, double>; // version first

} // namespace

model::result<redis_address> parse_redis_url(const std::string& url) {
  auto bad = [&](const std::string& why) {
    return model::problem{"", 0, "", "cache.redis_url '" + url + "': " + why,
                          "write redis://host:port/db"};
  };
  if (url.rfind("redis://", 0) != 0)
    return bad("not a redis:// URL");
  redis_address out;
  auto rest = url.substr(8);
  auto slash = rest.find('/');
  auto hostport = rest.substr(0, slash);
  if (slash != std::string::npos && slash + 1 < rest.size()) {
    auto db = rest.substr(slash + 1);
    if (db.find_first_not_of("0123456789") != std::string::npos ||
        db.size() > 4)
      return bad("the database is not a number");
    out.db = std::stoi(db);
  }
  if (hostport.find('@') != std::string::npos)
    return bad("credentials in the URL are not supported");
  auto colon = hostport.rfind(':');
  out.host = hostport.substr(0, colon);
  if (colon != std::string::npos) {
    auto port = hostport.substr(colon + 1);
    if (port.empty() ||
        port.find_first_not_of("0123456789") != std::string::npos ||
        port.size() > 5 || std::stoi(port) > 65535)
      return bad("the port is not a number up to 65535");
    out.port = std::stoi(port);
  }
  if (out.host.empty())
    return bad("no host");
  return out;
}

std::string encode(const cached_answer& a) {
  msgpack::sbuffer buf;
  msgpack::pack(buf, wire{1, a.text, a.tokens_in, a.tokens_out, a.cost});
  return {buf.data(), buf.size()};
}

std::optional<cached_answer> decode(const std::string& bytes) {
  try {
    auto handle = msgpack::unpack(bytes.data(), bytes.size());
    auto w = handle.get().as<wire>();
    if (std::get<0>(w) != 1)
      return std::nullopt;
    return cached_answer{std::get<1>(w), std::get<2>(w), std::get<3>(w),
                         std::get<4>(w)};
  } catch (const std::exception&) {
    return std::nullopt; // not ours, or from another version: a miss
  }
}

redis_cache::redis_cache(redis_address where, std::chrono::milliseconds ttl,
                         std::chrono::milliseconds timeout)
    : where_(std::move(where)), ttl_(ttl), timeout_(timeout) {}

redis_cache::~redis_cache() {
  if (ctx_)
    redisFree(ctx_);
}

void redis_cache::fail(const std::string& why) {
  down_ = why;
  retry_at_ = std::chrono::steady_clock::now() + outage_pause;
  if (ctx_) {
    redisFree(ctx_);
    ctx_ = nullptr;
  }
}

bool redis_cache::ready() {
  if (ctx_)
    return true;
  if (!down_.empty() && std::chrono::steady_clock::now() < retry_at_)
    return false;
  auto tv = to_timeval(timeout_);
  ctx_ = redisConnectWithTimeout(where_.host.c_str(), where_.port, tv);
  if (!ctx_ || ctx_->err) {
    fail(ctx_ ? ctx_->errstr : "cannot allocate a Redis context");
    return false;
  }
  redisSetTimeout(ctx_, tv);
  if (where_.db != 0) {
    auto* r =
        static_cast<redisReply*>(redisCommand(ctx_, "SELECT %d", where_.db));
    bool ok = r && r->type != REDIS_REPLY_ERROR;
    if (r)
      freeReplyObject(r);
    if (!ok) {
      fail("SELECT " + std::to_string(where_.db) + " failed");
      return false;
    }
  }
  down_.clear();
  return true;
}

std::optional<cached_answer> redis_cache::get(const std::string& key) {
  if (!ready())
    return std::nullopt;
  auto* r = static_cast<redisReply*>(
      redisCommand(ctx_, "GET hishamos:l2:%b", key.data(), key.size()));
  if (!r) {
    fail(ctx_->errstr);
    return std::nullopt;
  }
  std::optional<cached_answer> out;
  if (r->type == REDIS_REPLY_STRING)
    out = decode(std::string{r->str, r->len});
  freeReplyObject(r);
  return out;
}

void redis_cache::put(const std::string& key, const cached_answer& value) {
  if (!ready())
    return;
  auto bytes = encode(value);
  auto* r = static_cast<redisReply*>(redisCommand(
      ctx_, "SET hishamos:l2:%b %b PX %lld", key.data(), key.size(),
      bytes.data(), bytes.size(), static_cast<long long>(ttl_.count())));
  if (!r)
    return fail(ctx_->errstr);
  freeReplyObject(r);
}

} // namespace hishamos::providers
