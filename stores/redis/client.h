// RedisClient: one worker's asynchronous Redis client. It owns `connections` pipelined
// connections (connection.h) on the worker's io_context and picks them round robin; every
// command gets redis.timeout, after which it completes with Errc::timeout. It never throws
// for Redis trouble: a failed command is a RedisReply with `ec` set, and it is counted in
// gateway_redis_errors_total (metrics.h).
//
// Threads: a client belongs to the thread that runs its io_context and is used only there
// (no locks). Steps, shared by all workers, reach "this worker's client" through
// worker_clients.h.
#pragma once

#include <array>
#include <concepts>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "config/types.h"
#include "stores/redis/connection.h"
#include "stores/redis/reply.h"
#include "stores/redis/script_batch.h"
#include "stores/redis/script.h"

namespace gw::stores::redis {

using Args = std::span<const std::string_view>;

class RedisClient {
public:
    RedisClient(boost::asio::any_io_executor ex, const config::RedisConfig& config);
    ~RedisClient();  // closes the connections; commands still waiting fail
    RedisClient(const RedisClient&) = delete;
    RedisClient& operator=(const RedisClient&) = delete;

    // co_await client.command("GET", key). The argument strings must stay valid until the
    // call completes; temporaries in the co_await expression do. (Not an initializer_list:
    // GCC 12 cannot keep one alive across co_await, "array used as initializer".)
    template <class... S>
        requires(sizeof...(S) > 0 && (std::convertible_to<const S&, std::string_view> && ...))
    boost::asio::awaitable<RedisReply> command(const S&... args) {
        using Array = std::array<std::string_view, sizeof...(S)>;
        return command_array(Array{std::string_view(args)...});
    }
    boost::asio::awaitable<RedisReply> command(Args args);
    // EVALSHA; on NOSCRIPT (a restarted or flushed Redis) SCRIPT LOAD and one retry. Scripts
    // used once are also loaded by every new connection.
    boost::asio::awaitable<RedisReply> eval_script(const RedisScript& script, Args keys,
                                                   Args args);
    // One key's call of a batched script (script_batch.h: the calls of this turn share one
    // EVALSHA); its own element of the reply, or the batch's failure. `key` and `args` must
    // stay valid until it completes.
    boost::asio::awaitable<RedisReply> eval_batched(const RedisScript& script,
                                                    std::string_view key, Args args) {
        return batcher_.call(*this, script, key, args);
    }
    // Makes every connection SCRIPT LOAD `script` and its companions (script.h) as it
    // connects (eval_script and eval_batched do it on first use): no request of a new
    // connection pays for a NOSCRIPT.
    void add_script(const RedisScript& script);

    // A reload may change the timeout without changing the connection settings.
    void set_timeout(config::Duration timeout) { timeout_ = timeout; }
    const boost::asio::any_io_executor& executor() const { return ex_; }

private:
    template <std::size_t N>
    boost::asio::awaitable<RedisReply> command_array(std::array<std::string_view, N> args) {
        co_return co_await command(Args(args));  // `args` lives in this frame meanwhile
    }
    boost::asio::awaitable<RedisReply> execute(Args args);
    std::shared_ptr<Connection> pick(Errc& why);

    boost::asio::any_io_executor ex_;
    std::shared_ptr<ClientShared> shared_;
    std::vector<std::shared_ptr<Connection>> connections_;
    std::size_t next_ = 0;  // round robin
    config::Duration timeout_;
    std::vector<std::string> known_scripts_;  // SHA-1s already in shared_->scripts (a few)
    ScriptBatcher batcher_;
};

}  // namespace gw::stores::redis
