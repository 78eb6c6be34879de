// store: redis: the key layout, reading the script's replies, and the GCRA script itself
// against a real redis-server (same answers as gcra.h, give-back, expiry, NOSCRIPT, and
// redis.on_error when Redis is gone). Every wait is bounded: a hang fails the test.
#include <catch.hpp>

#include <chrono>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "../../stores/redis/redis_server.h"
#include "config/redis_url.h"
#include "middleware/auth/digest.h"
#include "middleware/rate_limit/redis_gcra.h"
#include "middleware/rate_limit/redis_store.h"
#include "stores/redis/worker_clients.h"

namespace gw::middleware::rate_limit {
namespace {

namespace asio = boost::asio;
using stores::redis::RedisReply;
using stores::redis::test::RedisServer;
using OnError = config::RedisConfig::OnError;

constexpr Nanos kS = 1'000'000'000;

Limit make_limit(KeyKind kind, std::uint64_t n, std::chrono::seconds window,
                 std::uint64_t burst = 0) {
    Limit l;
    l.kind = kind;
    l.limit = n;
    l.window = window;
    l.burst = burst ? burst : n;
    l.rate = make_rate(n, window, l.burst);
    return l;
}

Key text_key(std::string_view s) { return {Key::Kind::text, s}; }

// Runs `a` on `io` until it completes, at most 20 s (the Redis client's connections keep
// the io_context busy, so io.run() would never return).
template <class T>
T run(asio::io_context& io, asio::awaitable<T> a) {
    std::optional<T> out;
    std::exception_ptr error;
    asio::co_spawn(io, std::move(a), [&](std::exception_ptr e, T v) {
        error = e;
        out = std::move(v);
    });
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!out && !error && std::chrono::steady_clock::now() < deadline)
        io.run_one_for(std::chrono::milliseconds(50));
    if (error) std::rethrow_exception(error);
    REQUIRE(out.has_value());  // else: it hung
    return std::move(*out);
}

struct Fixture {
    RedisServer server;
    asio::io_context io;
    config::RedisConfig redis;
    Limit limit;
    std::shared_ptr<DecisionStats> stats = std::make_shared<DecisionStats>();
    std::shared_ptr<RedisStore> store;

    explicit Fixture(Limit l, OnError on_error = OnError::allow) : limit(std::move(l)) {
        std::string error;
        std::string url = "redis://127.0.0.1:" + std::to_string(server.port()) + "/0";
        REQUIRE(config::parse_redis_url(url, redis, error));
        redis.timeout = std::chrono::seconds(5);
        redis.on_error = on_error;
        redis.connections = 1;  // give-back and the next check keep their order
        redis.key = url + "#test";
        store = std::make_shared<RedisStore>(redis, redis_key_prefix("r", "ip", limit), limit,
                                             stats);
    }
    ~Fixture() { stores::redis::clear_thread_clients(); }

    Decision check(const Key& key) { return run(io, store->check(limit, key)); }
    void pause() {
        run(io, []() -> asio::awaitable<bool> {
            asio::steady_timer t(co_await asio::this_coro::executor,
                                 std::chrono::milliseconds(50));
            co_await t.async_wait(asio::use_awaitable);
            co_return true;
        }());
    }
    RedisReply command(std::string a, std::string b) {
        auto client = stores::redis::client_for(redis, io.get_executor());
        return run(io, client->command(a, b));
    }
};

}  // namespace

TEST_CASE("redis rate limit: key layout", "[rate_limit][redis]") {
    Limit ip = make_limit(KeyKind::ip, 100, std::chrono::seconds(60), 20);
    const std::string prefix = redis_key_prefix("orders", "ip", ip);
    CHECK(prefix == "gw:rl:orders:ip:100/60000ms/20:");
    auto v4 = asio::ip::make_address_v4("192.0.2.1").to_bytes();
    Key k4{Key::Kind::address, {reinterpret_cast<const char*>(v4.data()), v4.size()}};
    CHECK(redis_key(prefix, ip, k4) == prefix + "ip:192.0.2.1");
    for (const char* text : {"0.0.0.0", "255.255.255.255", "10.0.200.7"}) {
        auto b = asio::ip::make_address_v4(text).to_bytes();
        Key k{Key::Kind::address, {reinterpret_cast<const char*>(b.data()), b.size()}};
        CHECK(redis_key(prefix, ip, k) == prefix + "ip:" + text);
    }
    auto v6 = asio::ip::make_address_v6("2001:db8::7").to_bytes();
    Key k6{Key::Kind::address, {reinterpret_cast<const char*>(v6.data()), v6.size()}};
    CHECK(redis_key(prefix, ip, k6) == prefix + "ip:2001:db8::7");
    CHECK(redis_key(prefix, ip, Key{}) == prefix + "route");

    Limit consumer = make_limit(KeyKind::consumer, 5, std::chrono::seconds(1));
    CHECK(redis_key("p:", consumer, text_key("billing")) == "p:consumer:billing");
    // A header value may be a credential: only its SHA-256 reaches Redis.
    Limit header = make_limit(KeyKind::header, 5, std::chrono::seconds(1));
    std::string k = redis_key("p:", header, text_key("secret-key-value"));
    CHECK(k.find("secret") == std::string::npos);
    REQUIRE(k.rfind("p:sha256:", 0) == 0);
    auto digest = auth::digest_from_hex(k.substr(9));
    REQUIRE(digest);
    CHECK(*digest == auth::sha256("secret-key-value"));
}

TEST_CASE("redis rate limit: script replies", "[rate_limit][redis]") {
    // The reply per key is the base (TAT - now before the call, at least 0); the decision is
    // gcra_decide's from it, as the script decided: 4 allowed at once, burst 4 of 1/s.
    const Rate rate = make_rate(1, std::chrono::seconds(1), 4);
    auto integer = [](long long n) {
        RedisReply r;
        r.type = RedisReply::Type::integer;
        r.integer = n;
        return r;
    };
    auto d = decision_from_reply(integer(0), rate);  // a fresh key
    REQUIRE(d);
    CHECK(d->allowed);
    CHECK(d->remaining == 3);
    CHECK(d->reset == kS);
    d = decision_from_reply(integer(kS + kS / 2), rate);
    REQUIRE(d);
    CHECK(d->allowed);
    CHECK(d->remaining == 1);
    CHECK(d->reset == 2 * kS + kS / 2);
    d = decision_from_reply(integer(3 * kS), rate);  // the last one
    REQUIRE(d);
    CHECK(d->allowed);
    CHECK(d->remaining == 0);
    d = decision_from_reply(integer(3 * kS + kS / 2), rate);
    REQUIRE(d);
    CHECK_FALSE(d->allowed);
    CHECK(d->remaining == 0);
    CHECK(d->reset == 3 * kS + kS / 2);
    CHECK(d->retry_after == kS / 2);

    CHECK_FALSE(decision_from_reply(integer(-1), rate));
    RedisReply array;
    array.type = RedisReply::Type::array;
    array.elements = {integer(0)};
    CHECK_FALSE(decision_from_reply(array, rate));
    RedisReply error;
    error.type = RedisReply::Type::error;
    error.str = "ERR something";
    CHECK_FALSE(decision_from_reply(error, rate));
    CHECK_FALSE(decision_from_reply(RedisReply::failure(stores::redis::Errc::timeout), rate));
}

TEST_CASE("redis rate limit: on_error decisions", "[rate_limit][redis]") {
    Rate rate = make_rate(10, std::chrono::seconds(60), 4);
    auto allow = RedisStore::on_error_decision(OnError::allow, rate);
    CHECK(allow.allowed);
    CHECK(allow.remaining == 3);
    CHECK(allow.reset == rate.interval);
    auto deny = RedisStore::on_error_decision(OnError::deny, rate);
    CHECK_FALSE(deny.allowed);
    CHECK(deny.remaining == 0);
    CHECK(ceil_seconds(deny.retry_after) == 1);
}

TEST_CASE("redis rate limit: the script decides as gcra.h does", "[rate_limit][redis]") {
    Fixture f(make_limit(KeyKind::route, 5, std::chrono::seconds(3600)));
    const Nanos interval = f.limit.rate.interval;
    // A fresh key: exactly what gcra_decide says for a key never seen.
    Nanos tat = 0;
    const Decision expected = gcra_decide(tat, f.limit.rate, 1000 * kS);
    const Decision first = f.check(Key{});
    CHECK(first.allowed);
    CHECK(first.remaining == expected.remaining);
    CHECK(first.reset == expected.reset);
    // Then the burst counts down; Redis's clock moved a little between calls (under 1 min).
    for (std::uint64_t left = 3;; --left) {
        Decision d = f.check(Key{});
        CHECK(d.allowed);
        CHECK(d.remaining == left);
        CHECK(d.reset <= static_cast<Nanos>(5 - left) * interval);
        CHECK(d.reset > static_cast<Nanos>(5 - left) * interval - 60 * kS);
        if (left == 0) break;
    }
    const Decision refused = f.check(Key{});
    CHECK_FALSE(refused.allowed);
    CHECK(refused.remaining == 0);
    CHECK(refused.retry_after > 0);
    CHECK(refused.retry_after <= interval);
    CHECK(refused.reset <= f.limit.rate.capacity);
    CHECK(f.stats->store_errors() == 0);

    // The key: the TAT as "<us> <ns>", expiring when the TAT passes (5 intervals = 1 h).
    const std::string key = redis_key(redis_key_prefix("r", "ip", f.limit), f.limit, Key{});
    auto value = f.command("GET", key);
    REQUIRE(value.type == RedisReply::Type::string);
    CHECK(value.str.find(' ') != std::string::npos);
    auto ttl = f.command("PTTL", key);
    CHECK(ttl.integer > 0);
    CHECK(ttl.integer <= 3600 * 1000 + 1);
}

TEST_CASE("redis rate limit: give back, separate keys, NOSCRIPT", "[rate_limit][redis]") {
    Fixture f(make_limit(KeyKind::ip, 2, std::chrono::seconds(3600)));
    auto v4a = asio::ip::make_address_v4("192.0.2.1").to_bytes();
    auto v4b = asio::ip::make_address_v4("192.0.2.2").to_bytes();
    Key ka{Key::Kind::address, {reinterpret_cast<const char*>(v4a.data()), 4}};
    Key kb{Key::Kind::address, {reinterpret_cast<const char*>(v4b.data()), 4}};
    CHECK(f.check(ka).allowed);
    CHECK(f.check(ka).allowed);
    CHECK_FALSE(f.check(ka).allowed);
    CHECK(f.check(kb).allowed);  // another client, another count
    // One unit given back: one more passes. The give-back is not awaited (and its script's
    // first use on a connection takes a NOSCRIPT round trip): wait until Redis has it.
    const std::string key = redis_key(redis_key_prefix("r", "ip", f.limit), f.limit, ka);
    const std::string before = f.command("GET", key).str;
    f.store->give_back(f.limit, ka);
    bool given_back = false;
    for (int i = 0; i < 200 && !given_back; ++i) {
        f.pause();
        given_back = f.command("GET", key).str != before;
    }
    CHECK(given_back);
    CHECK(f.check(ka).allowed);
    CHECK_FALSE(f.check(ka).allowed);
    // Redis forgets its scripts (as after a restart): the client loads it again.
    CHECK(f.command("SCRIPT", "FLUSH").str == "OK");
    CHECK(f.check(kb).allowed);
    CHECK_FALSE(f.check(kb).allowed);
    CHECK(f.stats->store_errors() == 0);
}

TEST_CASE("redis rate limit: a burst decided in one batch", "[rate_limit][redis]") {
    Fixture f(make_limit(KeyKind::route, 5, std::chrono::seconds(3600)));
    CHECK(f.check(Key{}).allowed);  // the scripts are loaded; the burst has 4 left
    // Twelve checks started in one turn go to Redis as one EVALSHA over the same key twelve
    // times: applied in order, exactly 4 pass, counting the burst down.
    std::vector<std::optional<Decision>> out(12);
    int finished = 0;
    for (auto& d : out) {
        asio::co_spawn(f.io, [&]() -> asio::awaitable<void> {
            d = co_await f.store->check(f.limit, Key{});
            ++finished;
        }, asio::detached);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (finished < 12 && std::chrono::steady_clock::now() < deadline)
        f.io.run_one_for(std::chrono::milliseconds(50));
    REQUIRE(finished == 12);
    std::vector<std::uint64_t> remaining;
    for (auto& d : out) {
        if (d->allowed) remaining.push_back(d->remaining);
        else CHECK(d->retry_after > 0);
    }
    CHECK(remaining == std::vector<std::uint64_t>{3, 2, 1, 0});
    CHECK(f.stats->store_errors() == 0);
}

TEST_CASE("redis rate limit: Redis gone, on_error decides", "[rate_limit][redis]") {
    for (OnError on_error : {OnError::allow, OnError::deny}) {
        Fixture f(make_limit(KeyKind::route, 1, std::chrono::seconds(3600)), on_error);
        CHECK(f.check(Key{}).allowed);
        CHECK_FALSE(f.check(Key{}).allowed);
        f.server.kill();
        for (int i = 0; i < 5; ++i) {
            Decision d = f.check(Key{});
            CHECK(d.allowed == (on_error == OnError::allow));
        }
        CHECK(f.stats->store_errors() == 5);
        // Back (empty: no persistence): the client reconnects and the limit applies again.
        f.server.restart();
        std::optional<Decision> decided;  // the first decision Redis made again
        for (int i = 0; i < 200 && !decided; ++i) {
            auto errors = f.stats->store_errors();
            Decision d = f.check(Key{});
            if (f.stats->store_errors() == errors) decided = d;
            else f.pause();  // the client reconnects with backoff meanwhile
        }
        REQUIRE(decided);
        CHECK(decided->allowed);
        CHECK_FALSE(f.check(Key{}).allowed);
    }
}

}  // namespace gw::middleware::rate_limit
