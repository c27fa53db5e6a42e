#include "providers/redis_cache.hpp"

#include "model/redaction.hpp"

#include <tuple>
#include <vector>

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

// The window is a sorted set: member "<id>:<tokens>", score = admission
// time in ms by the Redis server's clock (one clock for all nodes).
// ARGV: id, tokens, requests limit, tokens limit, window ms.
const char* reserve_script = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local entries = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local count = #entries / 2
local sum = 0
for i = 1, #entries, 2 do
  sum = sum + tonumber(string.match(entries[i], ':(%d+)$'))
end
local tokens, rpm, tpm = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
if (rpm > 0 and count >= rpm) or (tpm > 0 and count > 0 and sum + tokens > tpm) then
  local wait = tonumber(entries[2]) + window - now
  if wait < 1 then wait = 1 end
  return wait
end
redis.call('ZADD', KEYS[1], now, ARGV[1] .. ':' .. ARGV[2])
redis.call('PEXPIRE', KEYS[1], window)
return 0
)lua";

// ARGV: id, real tokens. Keeps the admission time.
const char* settle_script = R"lua(
local entries = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
for i = 1, #entries, 2 do
  if string.match(entries[i], '^(.*):%d+$') == ARGV[1] then
    redis.call('ZREM', KEYS[1], entries[i])
    redis.call('ZADD', KEYS[1], entries[i + 1], ARGV[1] .. ':' .. ARGV[2])
    return 1
  end
end
return 0
)lua";

} // namespace

model::result<redis_address> parse_redis_url(const std::string& url) {
  auto bad = [&](const std::string& why) {
    return model::problem{
        "", 0, "", "cache.redis_url '" + model::redact_url(url) + "': " + why,
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

std::int64_t redis_cache::reserve(const std::string& window,
                                  const std::string& id, std::int64_t tokens,
                                  std::int64_t requests_limit,
                                  std::int64_t tokens_limit,
                                  std::int64_t window_ms) {
  if (!ready())
    return -1;
  auto key = "hishamos:limit:" + window;
  auto args = {std::to_string(tokens), std::to_string(requests_limit),
               std::to_string(tokens_limit), std::to_string(window_ms)};
  std::vector<std::string> argv{"EVAL", reserve_script, "1", key, id};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<const char*> ptrs;
  std::vector<size_t> lens;
  for (const auto& a : argv) {
    ptrs.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* r = static_cast<redisReply*>(redisCommandArgv(
      ctx_, static_cast<int>(argv.size()), ptrs.data(), lens.data()));
  if (!r) {
    fail(ctx_->errstr);
    return -1;
  }
  std::int64_t out = -1;
  if (r->type == REDIS_REPLY_INTEGER)
    out = r->integer;
  else
    down_ = r->type == REDIS_REPLY_ERROR ? std::string{r->str, r->len}
                                         : "unexpected reply to the script";
  freeReplyObject(r);
  return out;
}

namespace {

// KEYS[1] the window; ARGV: limit, window ms, member. Time is Redis's own.
constexpr const char* admit_script = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local n = redis.call('ZCARD', KEYS[1])
if n < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return {1, n + 1, 0}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, n, tonumber(oldest[2]) + window - now}
)lua";

} // namespace

redis_cache::admission redis_cache::admit(const std::string& key,
                                          const std::string& member,
                                          std::int64_t limit,
                                          std::int64_t window_ms) {
  if (!ready())
    return {};
  auto full = "hishamos:rate:" + key;
  auto l = std::to_string(limit);
  auto w = std::to_string(window_ms);
  auto* r = static_cast<redisReply*>(redisCommand(
      ctx_, "EVAL %s 1 %b %b %b %b", admit_script, full.data(), full.size(),
      l.data(), l.size(), w.data(), w.size(), member.data(), member.size()));
  if (!r) {
    fail(ctx_->errstr);
    return {};
  }
  admission out;
  if (r->type == REDIS_REPLY_ARRAY && r->elements == 3) {
    out.verdict = static_cast<int>(r->element[0]->integer);
    out.count = r->element[1]->integer;
    out.wait_ms = r->element[2]->integer;
  } else {
    down_ = r->type == REDIS_REPLY_ERROR ? std::string{r->str, r->len}
                                         : "unexpected reply to the script";
  }
  freeReplyObject(r);
  return out;
}

void redis_cache::settle(const std::string& window, const std::string& id,
                         std::int64_t tokens) {
  if (!ready())
    return;
  auto key = "hishamos:limit:" + window;
  auto t = std::to_string(tokens);
  auto* r = static_cast<redisReply*>(
      redisCommand(ctx_, "EVAL %s 1 %b %b %b", settle_script, key.data(),
                   key.size(), id.data(), id.size(), t.data(), t.size()));
  if (!r)
    return fail(ctx_->errstr);
  freeReplyObject(r);
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
