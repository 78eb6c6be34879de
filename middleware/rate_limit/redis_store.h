// `store: redis`: the counters of one limit live in Redis, so every gateway instance that
// shares the Redis server enforces one limit. Each decision is one key of a batched EVALSHA of
// the GCRA script (redis_gcra.h; the decisions of one event-loop turn share a call) on this
// worker's pipelined client (stores/redis/worker_clients.h); a slow or dead Redis costs a
// request at most redis.timeout (the client fails fast while it reconnects), and then
// `redis.on_error` decides: allow (as if the key were fresh) or deny (429 with Retry-After: 1).
// Such decisions are counted (DecisionStats::store_errors).
//
// One store per limit, built at load with the limit's key prefix and script arguments;
// immutable after. Threads: every worker calls it; each uses its own client, found through a
// thread_local table, so nothing is locked.
#pragma once

#include <memory>
#include <string>

#include "config/types.h"
#include "middleware/rate_limit/decision_stats.h"
#include "middleware/rate_limit/store.h"

namespace gw::middleware::rate_limit {

class RedisStore final : public Store {
public:
    // prefix: redis_key_prefix() of `limit`; stats: the limit's counters (errors counted there).
    RedisStore(config::RedisConfig redis, std::string prefix, const Limit& limit,
               std::shared_ptr<DecisionStats> stats);

    std::optional<Decision> try_check(const Limit&, const Key&) override { return std::nullopt; }
    boost::asio::awaitable<Decision> check(const Limit& limit, const Key& key) override;
    // Fire and forget on this worker's client: the 429 does not wait for it.
    void give_back(const Limit& limit, const Key& key) override;

    // The decision `redis.on_error` makes for a request Redis could not decide.
    static Decision on_error_decision(config::RedisConfig::OnError on_error, const Rate& rate);

private:
    const config::RedisConfig redis_;
    const std::string prefix_;
    const std::string interval_;  // ARGV of the scripts, decimal nanoseconds
    const std::string capacity_;
    const std::shared_ptr<DecisionStats> stats_;
};

}  // namespace gw::middleware::rate_limit
