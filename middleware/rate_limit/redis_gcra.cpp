#include "middleware/rate_limit/redis_gcra.h"

#include <algorithm>
#include <cstring>

#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/ip/address_v6.hpp>

#include "middleware/auth/digest.h"

namespace gw::middleware::rate_limit {
namespace {

using stores::redis::RedisReply;
using stores::redis::RedisScript;

// Shared by both scripts. Lua numbers are doubles: a nanosecond time since the epoch (~2^61)
// would lose precision, so the TAT is stored as whole microseconds of Redis's TIME plus the
// nanoseconds below, and all arithmetic is on spans relative to now, exact up to 2^53 ns
// (104 days of burst * window / limit). TIME, not a gateway clock: the clocks of several
// gateway instances differ, Redis's is one. replicate_commands lets a script that read TIME
// write (the default from Redis 5 on; a no-op there).
constexpr const char* kPrelude = R"lua(
redis.replicate_commands()
local interval = tonumber(ARGV[1])
local t = redis.call('TIME')
local now_us = tonumber(t[1]) * 1000000 + tonumber(t[2])
local function ahead_of_now(key)
  local v = redis.call('GET', key)
  if not v then return nil end
  local us, ns = string.match(v, '^(%d+) (%d+)$')
  if not us then return nil end
  return (tonumber(us) - now_us) * 1000 + tonumber(ns)
end
local function store(key, ahead)
  redis.call('SET', key,
             string.format('%.0f %.0f', now_us + math.floor(ahead / 1000), ahead % 1000),
             'PX', string.format('%.0f', math.floor(ahead / 1000000) + 1))
end
)lua";

// gcra_decide (gcra.h) with now = 0: `ahead` is TAT - now.
constexpr const char* kDecide = R"lua(
local capacity = tonumber(ARGV[2])
local base = math.max(ahead_of_now(KEYS[1]) or 0, 0)
local ahead = base + interval
if ahead > capacity then return {0, 0, base, ahead - capacity} end
store(KEYS[1], ahead)
return {1, math.floor((capacity - ahead) / interval), ahead, 0}
)lua";

// gcra_give_back; a TAT that falls to now or before is the same as no key at all.
constexpr const char* kGiveBack = R"lua(
local ahead = ahead_of_now(KEYS[1])
if ahead == nil then return 0 end
ahead = ahead - interval
if ahead <= 0 then
  redis.call('DEL', KEYS[1])
  return 0
end
store(KEYS[1], ahead)
return 1
)lua";

void append_address(std::string& out, std::string_view bytes) {
    if (bytes.size() == 4) {
        boost::asio::ip::address_v4::bytes_type b;
        std::memcpy(b.data(), bytes.data(), b.size());
        out += boost::asio::ip::address_v4(b).to_string();
    } else {
        boost::asio::ip::address_v6::bytes_type b{};
        std::memcpy(b.data(), bytes.data(), std::min(bytes.size(), b.size()));
        out += boost::asio::ip::address_v6(b).to_string();
    }
}

void append_hex(std::string& out, const auth::Digest& d) {
    static constexpr char kHex[] = "0123456789abcdef";
    for (unsigned char c : d) {
        out += kHex[c >> 4];
        out += kHex[c & 0xf];
    }
}

bool is_count(const RedisReply& r) {
    return r.type == RedisReply::Type::integer && r.integer >= 0;
}

}  // namespace

const RedisScript& redis_decide_script() {
    static const RedisScript script(std::string(kPrelude) + kDecide);
    return script;
}

const RedisScript& redis_give_back_script() {
    static const RedisScript script(std::string(kPrelude) + kGiveBack);
    return script;
}

std::string redis_key_prefix(const std::string& route, const std::string& key_text,
                             const Limit& limit) {
    return "gw:rl:" + route + ":" + key_text + ":" + std::to_string(limit.limit) + "/" +
           std::to_string(limit.window.count()) + "ms/" + std::to_string(limit.burst) + ":";
}

std::string redis_key(const std::string& prefix, const Limit& limit, const Key& key) {
    std::string out;
    out.reserve(prefix.size() + 72);  // room for "sha256:" and 64 hex digits
    out += prefix;
    switch (key.kind) {
        case Key::Kind::none:
            out += "route";
            break;
        case Key::Kind::address:
            out += "ip:";
            append_address(out, key.bytes);
            break;
        case Key::Kind::text:
            if (limit.kind == KeyKind::consumer) {
                out += "consumer:";  // a name from the configuration, no secret
                out += key.bytes;
            } else {
                out += "sha256:";
                append_hex(out, auth::sha256(key.bytes));
            }
            break;
    }
    return out;
}

std::optional<Decision> decision_from_reply(const RedisReply& reply) {
    if (reply.failed() || reply.type != RedisReply::Type::array || reply.elements.size() != 4)
        return std::nullopt;
    const auto& e = reply.elements;
    if (!std::all_of(e.begin(), e.end(), is_count) || e[0].integer > 1) return std::nullopt;
    Decision d;
    d.allowed = e[0].integer == 1;
    d.remaining = static_cast<std::uint64_t>(e[1].integer);
    d.reset = e[2].integer;
    d.retry_after = e[3].integer;
    if (!d.allowed && d.retry_after <= 0) return std::nullopt;  // a refusal always has a wait
    return d;
}

}  // namespace gw::middleware::rate_limit
