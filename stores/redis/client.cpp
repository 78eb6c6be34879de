#include "stores/redis/client.h"

#include <chrono>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/container/small_vector.hpp>

#include "server/log.h"
#include "server/tls.h"
#include "stores/redis/metrics.h"

namespace gw::stores::redis {

namespace asio = boost::asio;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

std::shared_ptr<asio::ssl::context> make_tls(const config::UpstreamTls& t) {
    // The files were checked at load; a failure here (unlikely) only costs this client its
    // connections, which then fail with Errc::connect.
    try {
        return server::make_client_tls(t);
    } catch (const std::exception& e) {
        log::error("redis TLS setup failed", {{"error", e.what()}});
        return nullptr;
    }
}

void record(const RedisReply& r, std::chrono::steady_clock::time_point start) {
    RedisStats& stats = thread_stats();
    if (r.ec) {
        stats.record_error(reason(r.ec));
        return;
    }
    std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    stats.record_latency(took.count());
    if (r.type == RedisReply::Type::error) stats.record_error("reply");
}

}  // namespace

RedisClient::RedisClient(asio::any_io_executor ex, const config::RedisConfig& config)
    : ex_(std::move(ex)), shared_(std::make_shared<ClientShared>()), timeout_(config.timeout) {
    shared_->config = config;
    if (config.tls) shared_->tls = make_tls(config.tls_options);
    for (unsigned i = 0; i < config.connections; ++i) {
        connections_.push_back(std::make_shared<Connection>(ex_, shared_));
        connections_.back()->start();
    }
}

RedisClient::~RedisClient() {
    for (auto& c : connections_) c->stop();
}

std::shared_ptr<Connection> RedisClient::pick(Errc& why) {
    // Ready connections first, round robin; else one still connecting with room to queue.
    const std::size_t n = connections_.size();
    for (std::size_t i = 0; i < n; ++i) {
        auto& c = connections_[(next_ + i) % n];
        if (c->state() == Connection::State::ready) {
            next_ = (next_ + i + 1) % n;
            return c;
        }
    }
    why = Errc::unavailable;
    for (std::size_t i = 0; i < n; ++i) {
        auto& c = connections_[(next_ + i) % n];
        if (c->accepting()) return c;
        if (c->state() == Connection::State::connecting) why = Errc::overloaded;
    }
    return nullptr;
}

asio::awaitable<RedisReply> RedisClient::execute(Args args) {
    Errc why{};
    std::shared_ptr<Connection> connection = pick(why);
    if (!connection) co_return RedisReply::failure(why);  // fail fast while reconnecting
    auto command = std::make_shared<PendingCommand>(ex_);
    command->timer.expires_after(timeout_);
    connection->submit(command, args);
    co_await command->timer.async_wait(kTuple);
    // Woken by the reply (timer cancelled) or by the deadline.
    if (!command->done) connection->on_timeout(command);
    co_return std::move(command->reply);
}

asio::awaitable<RedisReply> RedisClient::command(Args args) {
    auto start = std::chrono::steady_clock::now();
    RedisReply reply = co_await execute(args);
    record(reply, start);
    co_return reply;
}

void RedisClient::add_script(const RedisScript& script) {
    for (const auto& sha : known_scripts_)
        if (sha == script.sha1()) return;
    known_scripts_.push_back(script.sha1());
    shared_->scripts.push_back(script.source());
    for (const RedisScript* companion : script.companions()) add_script(*companion);
}

asio::awaitable<RedisReply> RedisClient::eval_script(const RedisScript& script, Args keys,
                                                     Args args) {
    add_script(script);
    const std::string key_count = std::to_string(keys.size());
    boost::container::small_vector<std::string_view, 16> argv{"EVALSHA", script.sha1(),
                                                              key_count};
    argv.insert(argv.end(), keys.begin(), keys.end());
    argv.insert(argv.end(), args.begin(), args.end());
    auto start = std::chrono::steady_clock::now();
    RedisReply reply = co_await execute(argv);
    if (reply.is_error("NOSCRIPT")) {
        // Redis lost its script cache (restart, SCRIPT FLUSH): load it and try once more.
        RedisReply loaded = co_await execute(
            std::array<std::string_view, 3>{"SCRIPT", "LOAD", script.source()});
        // Plain ifs: GCC 12 destroys a temporary twice for co_await inside ?:.
        if (loaded.failed()) {
            reply = std::move(loaded);
        } else {
            reply = co_await execute(argv);
        }
    }
    record(reply, start);
    co_return reply;
}

}  // namespace gw::stores::redis
