// The Redis side of `store: redis`: the two Lua scripts (GCRA decide and give back, run with
// EVALSHA so each decision is one atomic step on the server), the layout of the keys they
// work on, and the reading of their replies. Pure functions and immutable scripts: any
// thread may use them; redis_store.h does the I/O.
//
// Key layout (README "Rate limits"): gw:rl:<route>:<key>:<limit>/<window ms>ms/<burst>:<who>
// where <who> is `ip:<address>`, `consumer:<name>`, `sha256:<hex of a header value>` (a
// header may carry a credential: only its digest goes to Redis) or `route`. The value is the
// key's TAT on Redis's clock, "<microseconds> <nanoseconds below>", with a PX expiry at that
// TAT, so idle keys vanish by themselves.
#pragma once

#include <optional>
#include <string>

#include "middleware/rate_limit/limit.h"
#include "middleware/rate_limit/store.h"
#include "stores/redis/reply.h"
#include "stores/redis/script.h"

namespace gw::middleware::rate_limit {

// Both scripts are batched (stores/redis/script_batch.h): any number of keys, each with its
// ARGV, one reply element per key, keys handled in order.
// Per key: ARGV interval ns, capacity ns. Decides as gcra_decide on Redis's clock, moves the
// TAT when allowed, and replies with the key's base: max(TAT - now, 0) before the call.
// Its companion is the give-back: a client that runs it loads both on every connect.
const stores::redis::RedisScript& redis_decide_script();
// Per key: ARGV interval ns. Moves the TAT back by one interval (gcra_give_back); replies 1
// when a TAT is left, 0 when none is.
const stores::redis::RedisScript& redis_give_back_script();

// "gw:rl:<route>:<key>:<limit>/<window>ms/<burst>:", the part shared by every key of a limit.
// `key_text` is the limit's `key:` in canonical form ("ip", "header:x-api-key").
std::string redis_key_prefix(const std::string& route, const std::string& key_text,
                             const Limit& limit);
// prefix + <who> for one request's key.
std::string redis_key(const std::string& prefix, const Limit& limit, const Key& key);

// The Decision in one key's element of a decide-script reply, for the limit's `rate` (the one
// the script was given): gcra_decide from the base the script saw, so both sides agree.
// nullopt for anything else (an error reply, a transport failure, a reply of the wrong shape).
std::optional<Decision> decision_from_reply(const stores::redis::RedisReply& reply,
                                            const Rate& rate);

}  // namespace gw::middleware::rate_limit
