// RedisClient against a real redis-server: pipelining, scripts, AUTH, SELECT, timeouts,
// Redis killed and restarted, TLS. Every wait is bounded: a hang fails the test.
#include <catch.hpp>

#include <chrono>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "config/redis_url.h"
#include "redis_server.h"
#include "stores/redis/client.h"
#include "stores/redis/metrics.h"
#include "stores/redis/worker_clients.h"

namespace asio = boost::asio;
using namespace gw::stores::redis;
using gw::stores::redis::test::RedisServer;
using Type = RedisReply::Type;

namespace {

constexpr auto kHangGuard = std::chrono::seconds(20);

gw::config::RedisConfig config_for(const std::string& url, int timeout_ms = 1000,
                                   unsigned connections = 2) {
    gw::config::RedisConfig c;
    std::string error;
    REQUIRE(gw::config::parse_redis_url(url, c, error));
    c.timeout = std::chrono::milliseconds(timeout_ms);
    c.connections = connections;
    c.key = url + "#" + std::to_string(connections);
    return c;
}

std::string url_of(const RedisServer& s, const std::string& auth = "", int db = 0) {
    return "redis://" + auth + "127.0.0.1:" + std::to_string(s.port()) + "/" +
           std::to_string(db);
}

// Runs the io_context until `a` completes (bounded by kHangGuard).
template <class T>
T run(asio::io_context& io, asio::awaitable<T> a) {
    std::optional<T> out;
    std::exception_ptr error;
    asio::co_spawn(io, std::move(a), [&](std::exception_ptr e, T v) {
        error = e;
        out = std::move(v);
    });
    auto deadline = std::chrono::steady_clock::now() + kHangGuard;
    while (!out && !error && std::chrono::steady_clock::now() < deadline) {
        io.run_one_for(std::chrono::milliseconds(50));
    }
    if (error) std::rethrow_exception(error);
    REQUIRE(out.has_value());  // else: the call hung
    return std::move(*out);
}

RedisReply call(asio::io_context& io, RedisClient& c, std::initializer_list<std::string_view> a) {
    std::vector<std::string> args(a.begin(), a.end());  // owned by this frame
    return run(io, [&]() -> asio::awaitable<RedisReply> {
        std::vector<std::string_view> views(args.begin(), args.end());
        co_return co_await c.command(Args(views));
    }());
}

asio::awaitable<void> sleep_ms(int ms) {
    asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(ms));
    co_await t.async_wait(asio::use_awaitable);
}

// PING until it answers PONG: at most `tries` times, 50ms apart. Returns whether it did.
bool wait_pong(asio::io_context& io, RedisClient& c, int tries = 100) {
    for (int i = 0; i < tries; ++i) {
        auto r = call(io, c, {"PING"});
        if (r.type == Type::status && r.str == "PONG") return true;
        run(io, [&]() -> asio::awaitable<bool> {
            co_await sleep_ms(50);
            co_return true;
        }());
    }
    return false;
}

}  // namespace

TEST_CASE("redis client: simple commands and reply types", "[redis][client]") {
    RedisServer server;
    asio::io_context io;
    RedisClient client(io.get_executor(), config_for(url_of(server)));
    CHECK(call(io, client, {"SET", "k", "v"}).str == "OK");
    auto got = call(io, client, {"GET", "k"});
    CHECK(got.type == Type::string);
    CHECK(got.str == "v");
    CHECK(call(io, client, {"GET", "nothing"}).type == Type::nil);
    CHECK(call(io, client, {"INCRBY", "n", "5"}).integer == 5);
    auto before = total_errors("reply");
    auto bad = call(io, client, {"INCR", "k"});
    CHECK(bad.type == Type::error);
    CHECK_FALSE(bad.ec);
    CHECK(total_errors("reply") == before + 1);
}

TEST_CASE("redis client: many concurrent commands are pipelined and matched", "[redis][client]") {
    RedisServer server;
    asio::io_context io;
    for (unsigned connections : {1u, 3u}) {
        RedisClient client(io.get_executor(), config_for(url_of(server), 5000, connections));
        constexpr int kCommands = 500;
        auto all = [&]() -> asio::awaitable<int> {
            int matched = 0, finished = 0;
            for (int i = 0; i < kCommands; ++i) {
                asio::co_spawn(io, [&, i]() -> asio::awaitable<void> {
                    std::string key = "key:" + std::to_string(i);
                    std::string value = "value-" + std::to_string(i * 7);
                    auto set = co_await client.command("SET", key, value);
                    auto get = co_await client.command("GET", key);
                    if (set.str == "OK" && get.str == value) ++matched;
                    ++finished;
                }, asio::detached);
            }
            for (int i = 0; i < 400 && finished < kCommands; ++i) co_await sleep_ms(25);
            co_return matched;
        };
        CHECK(run(io, all()) == kCommands);
    }
}

TEST_CASE("redis client: EVALSHA, and NOSCRIPT after SCRIPT FLUSH", "[redis][client]") {
    RedisServer server;
    asio::io_context io;
    RedisClient client(io.get_executor(), config_for(url_of(server)));
    RedisScript script("return {KEYS[1], ARGV[1], redis.call('INCR', KEYS[1] .. ':n')}");
    auto eval = [&]() {
        return run(io, [&]() -> asio::awaitable<RedisReply> {
            std::array<std::string_view, 1> keys{"s"};
            std::array<std::string_view, 1> args{"arg"};
            co_return co_await client.eval_script(script, keys, args);
        }());
    };
    auto reply_errors = total_errors("reply");
    auto first = eval();
    REQUIRE(first.type == Type::array);
    CHECK(first.elements[0].str == "s");
    CHECK(first.elements[1].str == "arg");
    CHECK(first.elements[2].integer == 1);
    CHECK(call(io, client, {"SCRIPT", "FLUSH"}).str == "OK");
    CHECK(call(io, client, {"SCRIPT", "EXISTS", script.sha1()}).elements[0].integer == 0);
    auto second = eval();
    REQUIRE(second.type == Type::array);
    CHECK(second.elements[2].integer == 2);
    CHECK(call(io, client, {"SCRIPT", "EXISTS", script.sha1()}).elements[0].integer == 1);
    CHECK(total_errors("reply") == reply_errors);  // NOSCRIPT handled, not counted
}

TEST_CASE("redis client: scripts used before are loaded on connect", "[redis][client]") {
    RedisServer server;
    asio::io_context io;
    RedisClient client(io.get_executor(), config_for(url_of(server), 1000, 1));
    RedisScript script("return 7");
    auto r = run(io, client.eval_script(script, {}, {}));
    CHECK(r.integer == 7);
    server.restart();  // empty script cache; the client reconnects
    REQUIRE(wait_pong(io, client));
    CHECK(call(io, client, {"SCRIPT", "EXISTS", script.sha1()}).elements[0].integer == 1);
}

TEST_CASE("redis client: a script's companions are loaded on connect with it",
          "[redis][client]") {
    RedisServer server;
    asio::io_context io;
    RedisClient client(io.get_executor(), config_for(url_of(server), 1000, 1));
    RedisScript later("return 'later'");
    RedisScript first("return 1", {&later});
    CHECK(run(io, client.eval_script(first, {}, {})).integer == 1);
    server.restart();  // empty script cache; the client reconnects
    REQUIRE(wait_pong(io, client));
    auto exists = call(io, client, {"SCRIPT", "EXISTS", first.sha1(), later.sha1()});
    REQUIRE(exists.type == Type::array);
    CHECK(exists.elements[0].integer == 1);
    CHECK(exists.elements[1].integer == 1);  // never run, loaded along with `first`
}

TEST_CASE("redis client: AUTH with requirepass, and a wrong password", "[redis][client]") {
    RedisServer server({"--requirepass", "s3cret"});
    asio::io_context io;
    RedisClient good(io.get_executor(), config_for(url_of(server, ":s3cret@")));
    CHECK(call(io, good, {"PING"}).str == "PONG");
    RedisClient none(io.get_executor(), config_for(url_of(server)));
    CHECK(call(io, none, {"PING"}).is_error("NOAUTH"));
    RedisClient wrong(io.get_executor(), config_for(url_of(server, ":nope@")));
    auto r = call(io, wrong, {"PING"});
    CHECK(r.ec);  // connect (AUTH refused) or unavailable: no answer, no hang
    CHECK(r.type == Type::nil);
}

TEST_CASE("redis client: SELECT the URL's database", "[redis][client]") {
    RedisServer server;
    asio::io_context io;
    RedisClient db3(io.get_executor(), config_for(url_of(server, "", 3)));
    RedisClient db0(io.get_executor(), config_for(url_of(server, "", 0)));
    CHECK(call(io, db3, {"SET", "where", "three"}).str == "OK");
    CHECK(call(io, db0, {"GET", "where"}).type == Type::nil);
    CHECK(call(io, db3, {"GET", "where"}).str == "three");
}

TEST_CASE("redis client: a slow Redis times out, then the client recovers", "[redis][client]") {
    RedisServer server;
    asio::io_context io;
    RedisClient admin(io.get_executor(), config_for(url_of(server), 5000, 1));
    RedisClient fast(io.get_executor(), config_for(url_of(server), 100, 1));
    REQUIRE(wait_pong(io, fast));
    auto timeouts = total_errors("timeout");
    // CLIENT PAUSE holds every other client's commands for 600ms.
    CHECK(call(io, admin, {"CLIENT", "PAUSE", "600", "ALL"}).str == "OK");
    auto slow = call(io, fast, {"PING"});
    CHECK(slow.ec == make_error_code(Errc::timeout));
    CHECK(total_errors("timeout") == timeouts + 1);
    // The timed-out connection was dropped; a new one answers once the pause is over.
    CHECK(wait_pong(io, fast));
}

TEST_CASE("redis client: Redis killed fails fast, restarted reconnects", "[redis][client]") {
    RedisServer server;
    asio::io_context io;
    RedisClient client(io.get_executor(), config_for(url_of(server), 5000, 2));
    REQUIRE(wait_pong(io, client));
    server.kill();
    // With a 5s timeout, only failing fast keeps these short; each completes with an error.
    int failed = 0;
    for (int i = 0; i < 20; ++i) {
        auto r = call(io, client, {"PING"});
        if (r.ec && r.ec != make_error_code(Errc::timeout)) ++failed;
    }
    CHECK(failed == 20);
    CHECK(total_errors("unavailable") + total_errors("disconnected") + total_errors("connect") >
          0);
    server.restart();
    CHECK(wait_pong(io, client));
    CHECK(call(io, client, {"SET", "back", "1"}).str == "OK");
}

TEST_CASE("redis client: rediss:// with TLS", "[redis][client][tls]") {
    RedisServer server({}, /*tls=*/true);
    asio::io_context io;
    auto cfg = config_for("rediss://127.0.0.1:" + std::to_string(server.port()) + "/0");
    cfg.tls_options.ca_file = server.ca_file();
    RedisClient client(io.get_executor(), cfg);
    REQUIRE(wait_pong(io, client));  // a TLS handshake may outlast one command's timeout
    CHECK(call(io, client, {"SET", "t", "tls"}).str == "OK");
    CHECK(call(io, client, {"GET", "t"}).str == "tls");
    // An unknown CA fails the handshake: an error, not a hang or a plain-text fallback.
    auto untrusted = cfg;
    untrusted.tls_options.ca_file.clear();  // system store: does not know the test CA
    untrusted.key += "#untrusted";
    RedisClient other(io.get_executor(), untrusted);
    CHECK(call(io, other, {"PING"}).ec);
}

TEST_CASE("redis client: one client per thread and key, reused", "[redis][client]") {
    RedisServer server;
    asio::io_context io;
    auto cfg = config_for(url_of(server));
    auto a = client_for(cfg, io.get_executor());
    auto b = client_for(cfg, io.get_executor());
    CHECK(a == b);
    auto other = cfg;
    other.key += "#other";
    CHECK(client_for(other, io.get_executor()) != a);
    CHECK(call(io, *a, {"PING"}).str == "PONG");
    a.reset();
    b.reset();
    clear_thread_clients();
}

TEST_CASE("redis metrics render as Prometheus text", "[redis][metrics]") {
    thread_stats().record_latency(0.0003);
    thread_stats().record_error("timeout");
    std::string out;
    render_metrics(out);
    CHECK(out.find("# TYPE gateway_redis_errors_total counter") != std::string::npos);
    CHECK(out.find("gateway_redis_errors_total{reason=\"timeout\"} ") != std::string::npos);
    CHECK(out.find("# TYPE gateway_redis_latency_seconds histogram") != std::string::npos);
    CHECK(out.find("gateway_redis_latency_seconds_bucket{le=\"+Inf\"} ") != std::string::npos);
    CHECK(out.find("gateway_redis_latency_seconds_count ") != std::string::npos);
    CHECK(total_errors("timeout") >= 1);
}
