#include "middleware/rate_limit/redis_gcra.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include <boost/asio/ip/address_v6.hpp>

#include "middleware/auth/digest.h"

namespace gw::middleware::rate_limit {
namespace {

using stores::redis::RedisReply;
using stores::redis::RedisScript;

// Shared by both scripts, which are batched (stores/redis/script_batch.h): KEYS[i] is one
// call's key, its ARGV follow in order, and the reply has one element per key. Lua numbers are
// doubles: a nanosecond time since the epoch (~2^61) would lose precision, so the TAT is
// stored as whole microseconds of Redis's TIME plus the nanoseconds below, and all arithmetic
// is on spans relative to now, exact up to 2^53 ns (104 days of burst * window / limit).
// TIME, not a gateway clock: the clocks of several gateway instances differ, Redis's is one;
// read once per batch. replicate_commands lets a script that read TIME write (the default
// from Redis 5 on; a no-op there).
//
// A key that comes up several times in a batch (a `key: route` limit, or one busy client) is
// read once and written once: `ahead` keeps its TAT as the batch's calls move it, in order,
// and finish() writes each changed key's final state (the script is atomic, so nothing could
// see the steps between). The expiry goes as a number, which Redis prints exactly ("%.17g").
constexpr const char* kPrelude = R"lua(
redis.replicate_commands()
local t = redis.call('TIME')
local now_us = tonumber(t[1]) * 1000000 + tonumber(t[2])
local ahead, changed, out = {}, {}, {}
-- TAT - now in ns for `key`, false when it has none
local function load(key)
  local a = ahead[key]
  if a ~= nil then return a end
  a = false
  local v = redis.call('GET', key)
  if v then
    local us, ns = string.match(v, '^(%d+) (%d+)$')
    if us then a = (tonumber(us) - now_us) * 1000 + tonumber(ns) end
  end
  ahead[key] = a
  return a
end
local function save(key, a)
  ahead[key] = a
  if not changed[key] then
    changed[key] = true
    changed[#changed + 1] = key
  end
end
local function finish()
  for i = 1, #changed do
    local key, a = changed[i], ahead[changed[i]]
    if a then
      redis.call('SET', key, string.format('%d %d', now_us + math.floor(a / 1000), a % 1000),
                 'PX', math.floor(a / 1000000) + 1)
    else
      redis.call('DEL', key)
    end
  end
  return out
end
)lua";

// gcra_decide (gcra.h) with now = 0 for each key; ARGV interval ns, capacity ns per key. The
// reply per key is only `base`, max(TAT - now, 0) before the call: the gateway knows the rate,
// and decision_from_reply derives the decision from it exactly as this script decided.
constexpr const char* kDecide = R"lua(
for i = 1, #KEYS do
  local interval = tonumber(ARGV[2 * i - 1])
  local base = math.max(load(KEYS[i]) or 0, 0)
  if base + interval <= tonumber(ARGV[2 * i]) then save(KEYS[i], base + interval) end
  out[i] = base
end
return finish()
)lua";

// gcra_give_back for each key; ARGV interval ns per key. A TAT that falls to now or before is
// the same as no key at all. Replies 1 when a TAT is left, else 0.
constexpr const char* kGiveBack = R"lua(
for i = 1, #KEYS do
  local a = load(KEYS[i])
  out[i] = 0
  if a then
    a = a - tonumber(ARGV[i])
    if a > 0 then out[i] = 1 else a = false end
    save(KEYS[i], a)
  end
end
return finish()
)lua";

void append_address(std::string& out, std::string_view bytes) {
    if (bytes.size() == 4) {
        // By hand: address_v4::to_string goes through inet_ntop's sprintf, about 1,800
        // instructions a request on the `key: ip` path (callgrind).
        char text[16];
        char* p = text;
        for (std::size_t i = 0; i < 4; ++i) {
            if (i) *p++ = '.';
            p = std::to_chars(p, text + sizeof text, static_cast<unsigned char>(bytes[i])).ptr;
        }
        out.append(text, p);
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
    // A refused request gives its unit back: the give-back is loaded wherever decide is.
    static const RedisScript script(std::string(kPrelude) + kDecide,
                                    {&redis_give_back_script()});
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

std::optional<Decision> decision_from_reply(const RedisReply& reply, const Rate& rate) {
    if (!is_count(reply)) return std::nullopt;
    Nanos tat = reply.integer;  // ahead of now = 0, as the script computed it
    return gcra_decide(tat, rate, 0);
}

}  // namespace gw::middleware::rate_limit
