#include "stores/redis/script_batch.h"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/container/small_vector.hpp>

#include "stores/redis/client.h"

namespace gw::stores::redis {

namespace asio = boost::asio;

struct ScriptBatcher::Batch {
    Batch(const asio::any_io_executor& ex, const RedisScript& s) : script(&s), done(ex) {
        done.expires_at(asio::steady_timer::time_point::max());  // woken by cancel() only
    }
    const RedisScript* script;
    std::size_t args_per_key = 0;
    // Views into the callers' frames: each caller waits until the batch is answered.
    boost::container::small_vector<std::string_view, kMaxBatchKeys> keys;
    boost::container::small_vector<std::string_view, 2 * kMaxBatchKeys> args;
    RedisReply reply;
    asio::steady_timer done;  // the followers wait on it; the leader cancels it
};

ScriptBatcher::ScriptBatcher() = default;
ScriptBatcher::~ScriptBatcher() = default;

RedisReply batch_element(RedisReply& reply, std::size_t index, std::size_t keys) {
    if (reply.type == RedisReply::Type::array && reply.elements.size() == keys)
        return std::move(reply.elements[index]);  // each index is taken once
    if (reply.failed()) return reply;             // the batch's failure is every call's
    return RedisReply::failure(Errc::protocol);
}

asio::awaitable<RedisReply> ScriptBatcher::call(RedisClient& client, const RedisScript& script,
                                                std::string_view key,
                                                std::span<const std::string_view> args) {
    auto open = std::find_if(open_.begin(), open_.end(), [&](const auto& b) {
        return b->script == &script && b->args_per_key == args.size();
    });
    std::shared_ptr<Batch> batch;
    const bool leader = open == open_.end();
    if (leader) {
        batch = std::make_shared<Batch>(co_await asio::this_coro::executor, script);
        batch->args_per_key = args.size();
        open_.push_back(batch);
    } else {
        batch = *open;
    }
    const std::size_t index = batch->keys.size();
    batch->keys.push_back(key);
    batch->args.insert(batch->args.end(), args.begin(), args.end());
    auto close = [this, &batch] { std::erase(open_, batch); };
    if (batch->keys.size() == kMaxBatchKeys) close();  // full: later calls open another
    if (!leader) {
        co_await batch->done.async_wait(asio::as_tuple(asio::use_awaitable));
        co_return batch_element(batch->reply, index, batch->keys.size());
    }
    // Let the calls this turn has already queued join before the batch goes out.
    co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
    close();
    batch->reply = co_await client.eval_script(
        script, Args(batch->keys.data(), batch->keys.size()),
        Args(batch->args.data(), batch->args.size()));
    batch->done.cancel();
    co_return batch_element(batch->reply, index, batch->keys.size());
}

}  // namespace gw::stores::redis
