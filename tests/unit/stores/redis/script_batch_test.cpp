// Batched script calls (script_batch.h) against a real redis-server: the calls of one turn
// share one EVALSHA and each gets its own element, a key given twice is applied in order, the
// batch size is bounded, failures reach every call of a batch, a timeout ends every call, and
// scripts added to a client are loaded by its connections before first use. Every wait is
// bounded: a hang fails the test.
#include <catch.hpp>

#include <chrono>
#include <optional>
#include <regex>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "config/redis_url.h"
#include "redis_server.h"
#include "stores/redis/client.h"

namespace asio = boost::asio;
using namespace gw::stores::redis;
using gw::stores::redis::test::RedisServer;
using Type = RedisReply::Type;

namespace {

gw::config::RedisConfig config_for(const RedisServer& s, int timeout_ms = 5000) {
    gw::config::RedisConfig c;
    std::string error;
    const std::string url = "redis://127.0.0.1:" + std::to_string(s.port()) + "/0";
    REQUIRE(gw::config::parse_redis_url(url, c, error));
    c.timeout = std::chrono::milliseconds(timeout_ms);
    c.connections = 1;
    c.key = url;
    return c;
}

// Runs `io` until `done()` holds, at most 20 s.
template <class F>
void run_until(asio::io_context& io, F done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!done() && std::chrono::steady_clock::now() < deadline)
        io.run_one_for(std::chrono::milliseconds(50));
    REQUIRE(done());  // else: a call hung
}

// `keys.size()` batched calls of `script`, all started in the same turn; their replies.
std::vector<RedisReply> batched(asio::io_context& io, RedisClient& client,
                                const RedisScript& script, const std::vector<std::string>& keys,
                                const std::vector<std::string>& args) {
    std::vector<std::optional<RedisReply>> out(keys.size());
    std::size_t finished = 0;
    for (std::size_t i = 0; i < keys.size(); ++i) {
        asio::co_spawn(io, [&, i]() -> asio::awaitable<void> {
            std::array<std::string_view, 1> a{args[i]};
            out[i] = co_await client.eval_batched(script, keys[i], a);
            ++finished;
        }, asio::detached);
    }
    run_until(io, [&] { return finished == keys.size(); });
    std::vector<RedisReply> replies;
    for (auto& r : out) replies.push_back(std::move(*r));
    return replies;
}

RedisReply call(asio::io_context& io, RedisClient& c, std::vector<std::string> args) {
    std::optional<RedisReply> out;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        std::vector<std::string_view> views(args.begin(), args.end());
        out = co_await c.command(Args(views));
    }, asio::detached);
    run_until(io, [&] { return out.has_value(); });
    return std::move(*out);
}

// EVALSHA calls Redis has served so far (INFO commandstats).
long long evalsha_calls(asio::io_context& io, RedisClient& c) {
    std::string info = call(io, c, {"INFO", "commandstats"}).str;
    std::smatch m;
    if (!std::regex_search(info, m, std::regex("cmdstat_evalsha:calls=(\\d+)"))) return 0;
    return std::stoll(m[1]);
}

RedisReply integer(long long n) {
    RedisReply r;
    r.type = Type::integer;
    r.integer = n;
    return r;
}

// The batched contract: KEYS[i] with ARGV[i], one element per key, keys in order.
const RedisScript& incr_script() {
    static const RedisScript s(R"lua(
local out = {}
for i = 1, #KEYS do out[i] = redis.call('INCRBY', KEYS[i], ARGV[i]) end
return out
)lua");
    return s;
}

}  // namespace

TEST_CASE("script batch: a reply element per call, or the batch's failure", "[redis][batch]") {
    RedisReply array;
    array.type = Type::array;
    array.elements = {integer(4), integer(5)};
    CHECK(batch_element(array, 1, 2).integer == 5);
    CHECK(batch_element(array, 0, 2).integer == 4);
    RedisReply short_array;
    short_array.type = Type::array;
    short_array.elements = {integer(4)};
    CHECK(batch_element(short_array, 0, 2).ec == make_error_code(Errc::protocol));
    RedisReply scalar = integer(3);
    CHECK(batch_element(scalar, 0, 1).ec == make_error_code(Errc::protocol));
    RedisReply error;
    error.type = Type::error;
    error.str = "ERR boom";
    CHECK(batch_element(error, 0, 3).is_error("ERR boom"));
    RedisReply timeout = RedisReply::failure(Errc::timeout);
    CHECK(batch_element(timeout, 2, 3).ec == make_error_code(Errc::timeout));
}

TEST_CASE("script batch: one turn's calls share one EVALSHA, in order", "[redis][batch]") {
    RedisServer server;
    asio::io_context io;
    RedisClient client(io.get_executor(), config_for(server));
    // First use: the script is loaded, then the batch runs.
    auto first = batched(io, client, incr_script(), {"warm"}, {"1"});
    REQUIRE(first[0].integer == 1);
    const long long before = evalsha_calls(io, client);
    // "a" twice: the second call sees the first's effect (1, then 1 + 10).
    auto r = batched(io, client, incr_script(), {"a", "b", "a", "c"}, {"1", "5", "10", "7"});
    REQUIRE(r.size() == 4);
    CHECK(r[0].integer == 1);
    CHECK(r[1].integer == 5);
    CHECK(r[2].integer == 11);
    CHECK(r[3].integer == 7);
    CHECK(evalsha_calls(io, client) == before + 1);
}

TEST_CASE("script batch: at most kMaxBatchKeys keys a call", "[redis][batch]") {
    RedisServer server;
    asio::io_context io;
    RedisClient client(io.get_executor(), config_for(server));
    REQUIRE(batched(io, client, incr_script(), {"warm"}, {"1"})[0].integer == 1);
    const long long before = evalsha_calls(io, client);
    const std::size_t n = 2 * kMaxBatchKeys + 1;
    std::vector<std::string> keys(n, "same"), args(n, "1");
    auto r = batched(io, client, incr_script(), keys, args);
    for (std::size_t i = 0; i < n; ++i) CHECK(r[i].integer == static_cast<long long>(i + 1));
    CHECK(evalsha_calls(io, client) == before + 3);
}

TEST_CASE("script batch: failures reach every call of the batch", "[redis][batch]") {
    RedisServer server;
    asio::io_context io;
    RedisClient client(io.get_executor(), config_for(server));
    RedisScript wrong_shape("return 1");  // not one element per key
    for (auto& r : batched(io, client, wrong_shape, {"x", "y"}, {"1", "2"}))
        CHECK(r.ec == make_error_code(Errc::protocol));
    RedisScript failing("return redis.error_reply('ERR refused')");
    for (auto& r : batched(io, client, failing, {"x", "y", "z"}, {"1", "2", "3"}))
        CHECK(r.is_error("ERR refused"));
}

TEST_CASE("script batch: a slow Redis times out every call of a batch", "[redis][batch]") {
    RedisServer server;
    asio::io_context io;
    RedisClient admin(io.get_executor(), config_for(server));
    RedisClient fast(io.get_executor(), config_for(server, 100));
    REQUIRE(batched(io, fast, incr_script(), {"warm"}, {"1"})[0].integer == 1);
    CHECK(call(io, admin, {"CLIENT", "PAUSE", "600", "ALL"}).str == "OK");
    for (auto& r : batched(io, fast, incr_script(), {"p", "q", "p"}, {"1", "1", "1"}))
        CHECK(r.ec == make_error_code(Errc::timeout));
}

TEST_CASE("script batch: scripts added to a client are loaded on connect", "[redis][batch]") {
    RedisServer server;
    asio::io_context io;
    RedisClient client(io.get_executor(), config_for(server));
    RedisScript never_called("return 'never called'");
    client.add_script(never_called);  // before the connection is up
    auto exists = call(io, client, {"SCRIPT", "EXISTS", never_called.sha1()});
    REQUIRE(exists.type == Type::array);
    CHECK(exists.elements[0].integer == 1);
}
