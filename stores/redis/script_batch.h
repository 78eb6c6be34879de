// Batched script calls: the calls of one script that one worker makes in the same turn of its
// event loop go to Redis as ONE EVALSHA over all their keys. Redis's cost per EVALSHA (command
// parsing, script lookup and set-up, reply) is about 3 µs of its CPU, a key's own work inside
// the script about 5 µs (redis-benchmark, 7.0): at 64 concurrent requests a batch divides the
// first, and the gateway writes, parses and times one command instead of one per call.
//
// The contract a batched script keeps: KEYS[i] goes with ARGV[(i-1)*k+1 .. i*k], k the same
// for every call of the script; it handles the keys in order (a key given twice sees its first
// call's effect) and replies with an array of one element per key, element i for KEYS[i].
//
// How a batch forms: the first call of a script in a turn opens a batch and becomes its
// leader; it yields once (asio::post) so that the calls already queued in this turn can
// join, closes the batch, runs it with RedisClient::eval_script (timeout, NOSCRIPT reload and
// retry, metrics as for any call) and wakes the others, who wait on the batch's timer. A
// batch holds at most kMaxBatchKeys keys; a full one closes at once and the next call opens
// another. Every call of a batch gets its own element, or the batch's failure (transport
// error, error reply, reply of the wrong shape) as its own reply.
//
// Threads: owned by one RedisClient, used on its worker thread only (no locks).
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "stores/redis/reply.h"
#include "stores/redis/script.h"

namespace gw::stores::redis {

class RedisClient;

inline constexpr std::size_t kMaxBatchKeys = 32;

class ScriptBatcher {
public:
    ScriptBatcher();
    ~ScriptBatcher();
    ScriptBatcher(const ScriptBatcher&) = delete;
    ScriptBatcher& operator=(const ScriptBatcher&) = delete;

    // This call's element of its batch's reply. `key` and `args` must stay valid until it
    // completes (they are sent from the caller's memory).
    boost::asio::awaitable<RedisReply> call(RedisClient& client, const RedisScript& script,
                                            std::string_view key,
                                            std::span<const std::string_view> args);

    struct Batch;

private:
    std::vector<std::shared_ptr<Batch>> open_;  // gathering calls: at most one per script
};

// Element `index` of a batch's reply for `keys` keys, or the reason there is none.
RedisReply batch_element(RedisReply& reply, std::size_t index, std::size_t keys);

}  // namespace gw::stores::redis
