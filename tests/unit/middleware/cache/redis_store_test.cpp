// The Redis store against a real redis-server: round trip, PX, the purge index, damaged
// values, and Redis gone (a miss and a dropped put, counted). Every wait is bounded.
#include <catch.hpp>

#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "config/redis_url.h"
#include "middleware/cache/entry_codec.h"
#include "middleware/cache/redis_store.h"
#include "stores/redis/worker_clients.h"
#include "tests/unit/stores/redis/redis_server.h"

namespace asio = boost::asio;
using namespace gw::middleware::cache;
using gw::stores::redis::RedisReply;
using gw::stores::redis::test::RedisServer;
using std::chrono::seconds;

namespace {

constexpr auto kHangGuard = std::chrono::seconds(20);

gw::config::RedisConfig config_for(std::uint16_t port, int timeout_ms = 1000) {
    gw::config::RedisConfig c;
    std::string error;
    std::string url = "redis://127.0.0.1:" + std::to_string(port) + "/0";
    REQUIRE(gw::config::parse_redis_url(url, c, error));
    c.timeout = std::chrono::milliseconds(timeout_ms);
    c.connections = 1;
    c.key = url + "#cache-test";
    return c;
}

template <class T>
T run(asio::io_context& io, asio::awaitable<T> a) {
    if (io.stopped()) io.restart();  // an earlier call left it without work
    std::optional<T> out;
    std::exception_ptr error;
    asio::co_spawn(io, std::move(a), [&](std::exception_ptr e, T v) {
        error = e;
        out = std::move(v);
    });
    auto deadline = std::chrono::steady_clock::now() + kHangGuard;
    while (!out && !error && std::chrono::steady_clock::now() < deadline)
        io.run_one_for(std::chrono::milliseconds(50));
    if (error) std::rethrow_exception(error);
    REQUIRE(out.has_value());  // else: the call hung
    return std::move(*out);
}

// The test's io_context with the thread's Redis clients dropped before it goes away.
struct Loop {
    asio::io_context io;
    ~Loop() { gw::stores::redis::clear_thread_clients(); }
};

struct Fixture {
    RedisServer server;
    Loop loop;
    std::shared_ptr<RedisStoreStats> stats = std::make_shared<RedisStoreStats>();
    RedisStore store{config_for(server.port()), stats};

    EntryPtr get(const std::string& key) { return run(loop.io, store.get(key)); }
    void put(const std::string& key, EntryPtr e) {
        run(loop.io, [&]() -> asio::awaitable<bool> {
            co_await store.put(key, e);
            co_return true;
        }());
    }
    std::optional<std::size_t> purge(std::string route, std::string prefix) {
        return run(loop.io, store.purge_checked(PurgeFilter{route, prefix}));
    }
    // Lets the io_context run (reconnect timers) for `ms`.
    void pause(int ms) {
        run(loop.io, [ms]() -> asio::awaitable<bool> {
            asio::steady_timer t(co_await asio::this_coro::executor,
                                 std::chrono::milliseconds(ms));
            co_await t.async_wait(asio::use_awaitable);
            co_return true;
        }());
    }
    RedisReply redis(std::vector<std::string> args) {
        auto client = gw::stores::redis::client_for(config_for(server.port()),
                                                    loop.io.get_executor());
        return run(loop.io, [&]() -> asio::awaitable<RedisReply> {
            std::vector<std::string_view> views(args.begin(), args.end());
            co_return co_await client->command(gw::stores::redis::Args(views));
        }());
    }
};

EntryPtr entry(std::string route, std::string path, std::string body = "body",
               Millis fresh_for = seconds(30)) {
    auto e = std::make_shared<Entry>();
    e->status = 200;
    e->headers = {{"content-type", "text/plain"}};
    e->body = std::make_shared<const std::string>(std::move(body));
    e->stored_at = std::chrono::system_clock::now();
    e->fresh_for = fresh_for;
    e->route = std::move(route);
    e->path = std::move(path);
    return e;
}

}  // namespace

TEST_CASE("redis store: keep_for is the usable time, longer with validators",
          "[cache][redis_store]") {
    const SystemTime now = std::chrono::system_clock::now();
    Entry e;
    e.stored_at = now - seconds(10);
    e.fresh_for = seconds(30);
    e.stale_if_error = seconds(60);
    CHECK(RedisStore::keep_for(e, now) == seconds(80));
    e.must_revalidate = true;  // no stale use: only freshness counts
    CHECK(RedisStore::keep_for(e, now) == seconds(20));
    e.initial_age = seconds(40);
    CHECK(RedisStore::keep_for(e, now) == Millis(0));
    e.etag = "\"x\"";  // still revalidatable
    CHECK(RedisStore::keep_for(e, now) == kRevalidationFloor);
    Entry marker;
    marker.vary_marker = true;
    marker.stored_at = now;
    marker.fresh_for = seconds(120);
    CHECK(RedisStore::keep_for(marker, now) == seconds(240));
}

TEST_CASE("redis store: purge patterns escape glob characters", "[cache][redis_store]") {
    using namespace std::string_literals;
    CHECK(RedisStore::match_pattern({}).empty());
    CHECK(RedisStore::match_pattern({"r", ""}) == "r\0*"s);
    CHECK(RedisStore::match_pattern({"", "/a"}) == "*\0/a*"s);
    CHECK(RedisStore::match_pattern({"a*b", "/x[1]?\\"}) == "a\\*b\0/x\\[1\\]\\?\\\\*"s);
    CHECK(RedisStore::index_member("r", "/p", "k") == "r\0/p\0k"s);
}

TEST_CASE("redis store: an entry round-trips with PX and an index member",
          "[cache][redis_store]") {
    Fixture f;
    CHECK(f.get("k1") == nullptr);
    auto e = entry("orders", "/api/orders/1", std::string(200'000, 'z'));
    f.put("k1", e);
    EntryPtr back = f.get("k1");
    REQUIRE(back);
    CHECK(*back->body == *e->body);
    CHECK(back->headers == e->headers);
    CHECK(back->route == "orders");
    auto pttl = f.redis({"PTTL", "gw:cache:e:k1"});
    CHECK(pttl.integer > 25'000);
    CHECK(pttl.integer <= 30'000);
    auto score = f.redis({"ZSCORE", std::string(kIndexKey),
                          RedisStore::index_member("orders", "/api/orders/1", "k1")});
    CHECK(score.type == RedisReply::Type::string);
    CHECK(f.stats->errors[RedisStoreStats::get] == 0);
    CHECK(f.stats->errors[RedisStoreStats::put] == 0);
}

TEST_CASE("redis store: an entry past any use is not stored", "[cache][redis_store]") {
    Fixture f;
    auto e = std::make_shared<Entry>(*entry("r", "/p"));
    e->fresh_for = Millis(0);
    f.put("gone", e);
    CHECK(f.redis({"EXISTS", "gw:cache:e:gone"}).integer == 0);
    CHECK(f.get("gone") == nullptr);
}

TEST_CASE("redis store: purge by route, by prefix, by both, and all", "[cache][redis_store]") {
    Fixture f;
    auto fill = [&] {
        f.put("a1", entry("a", "/x/1"));
        f.put("a2", entry("a", "/y/2"));
        f.put("b1", entry("b", "/x/3"));
        f.put("s1", entry("a*", "/x[1]"));
    };
    fill();
    CHECK(f.purge("a", "") == 2u);
    CHECK(f.get("a1") == nullptr);
    CHECK(f.get("a2") == nullptr);
    CHECK(f.get("b1") != nullptr);
    CHECK(f.get("s1") != nullptr);  // "a*" is a name, not a pattern
    fill();
    CHECK(f.purge("", "/x") == 3u);
    CHECK(f.get("a2") != nullptr);
    fill();
    CHECK(f.purge("b", "/x/") == 1u);
    CHECK(f.get("a1") != nullptr);
    CHECK(f.purge("a*", "/x[") == 1u);
    CHECK(f.get("s1") == nullptr);
    CHECK(f.purge("", "") == 2u);
    CHECK(f.redis({"ZCARD", std::string(kIndexKey)}).integer == 0);
    CHECK(f.redis({"DBSIZE"}).integer == 0);
    CHECK(f.purge("", "") == 0u);
}

TEST_CASE("redis store: many entries are purged over several ZSCAN pages",
          "[cache][redis_store]") {
    Fixture f;
    for (int i = 0; i < 700; ++i) f.put("k" + std::to_string(i), entry("many", "/m"));
    f.put("other", entry("keep", "/m"));
    CHECK(f.purge("many", "") == 700u);
    CHECK(f.redis({"DBSIZE"}).integer == 2);  // "other" and the index
}

TEST_CASE("redis store: a damaged value is a miss, counted", "[cache][redis_store]") {
    Fixture f;
    f.redis({"SET", "gw:cache:e:bad", "not an entry"});
    std::string cut = encode_entry(*entry("r", "/p"));
    cut.pop_back();
    f.redis({"SET", "gw:cache:e:cut", cut});
    CHECK(f.get("bad") == nullptr);
    CHECK(f.get("cut") == nullptr);
    CHECK(f.stats->errors[RedisStoreStats::decode] == 2);
}

TEST_CASE("redis store: Redis gone: get misses, put and purge fail, all counted",
          "[cache][redis_store]") {
    Fixture f;
    f.put("k", entry("r", "/p"));
    REQUIRE(f.get("k") != nullptr);
    f.server.kill();
    CHECK(f.get("k") == nullptr);
    f.put("k2", entry("r", "/p"));
    CHECK_FALSE(f.purge("", "").has_value());
    CHECK(f.stats->errors[RedisStoreStats::get] == 1);
    CHECK(f.stats->errors[RedisStoreStats::put] == 1);
    CHECK(f.stats->errors[RedisStoreStats::purge] == 1);
    f.server.restart();
    // The client reconnects (backoff at most 2s): storing works again.
    bool stored = false;
    for (int i = 0; i < 100 && !stored; ++i) {
        f.put("k3", entry("r", "/p"));
        stored = f.get("k3") != nullptr;
        if (!stored) f.pause(50);
    }
    CHECK(stored);
}
