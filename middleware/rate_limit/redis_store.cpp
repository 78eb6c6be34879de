#include "middleware/rate_limit/redis_store.h"

#include <array>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>

#include "middleware/rate_limit/redis_gcra.h"
#include "server/log.h"
#include "stores/redis/worker_clients.h"

namespace gw::middleware::rate_limit {
namespace {

namespace asio = boost::asio;
using stores::redis::RedisClient;

constexpr Nanos kDenyRetry = 1'000'000'000;  // Redis down, fail closed: "try again in 1 s"

// Owns everything it uses: the request may be answered (and its context gone) before Redis
// replies.
asio::awaitable<void> give_back_call(std::shared_ptr<RedisClient> client, std::string key,
                                     std::string interval) {
    std::array<std::string_view, 1> args{interval};
    // A failure only leaves one unit used up until the key's TAT passes; the client has
    // counted it in gateway_redis_errors_total.
    co_await client->eval_batched(redis_give_back_script(), key, args);
}

}  // namespace

RedisStore::RedisStore(config::RedisConfig redis, std::string prefix, const Limit& limit,
                       std::shared_ptr<DecisionStats> stats)
    : redis_(std::move(redis)),
      prefix_(std::move(prefix)),
      interval_(std::to_string(limit.rate.interval)),
      capacity_(std::to_string(limit.rate.capacity)),
      stats_(std::move(stats)) {}

Decision RedisStore::on_error_decision(config::RedisConfig::OnError on_error,
                                       const Rate& rate) {
    Decision d;
    if (on_error == config::RedisConfig::OnError::allow) {
        // As if the key were fresh: what a Redis that lost its data would answer.
        d.allowed = true;
        d.remaining = rate.burst - 1;
        d.reset = rate.interval;
    } else {
        d.allowed = false;
        d.remaining = 0;
        d.reset = kDenyRetry;
        d.retry_after = kDenyRetry;
    }
    return d;
}

asio::awaitable<Decision> RedisStore::check(const Limit& limit, const Key& key) {
    const std::string redis_key_text = redis_key(prefix_, limit, key);
    const asio::any_io_executor ex = co_await asio::this_coro::executor;
    std::shared_ptr<RedisClient> client = stores::redis::client_for(redis_, ex);
    std::array<std::string_view, 2> args{interval_, capacity_};
    const auto reply = co_await client->eval_batched(redis_decide_script(), redis_key_text, args);
    if (auto d = decision_from_reply(reply, limit.rate)) co_return *d;
    stats_->count_store_error();
    co_return on_error_decision(redis_.on_error, limit.rate);
}

void RedisStore::give_back(const Limit& limit, const Key& key) {
    // check() just ran on this thread, so this thread has the client.
    std::shared_ptr<RedisClient> client = stores::redis::existing_client(redis_);
    if (!client) return;
    const asio::any_io_executor ex = client->executor();
    asio::co_spawn(ex, give_back_call(std::move(client), redis_key(prefix_, limit, key),
                                      interval_),
                   log::on_exception("rate limit give back failed"));
}

}  // namespace gw::middleware::rate_limit
