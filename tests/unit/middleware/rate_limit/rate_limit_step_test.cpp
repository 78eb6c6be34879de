// The rate-limit step: which key a request counts under, the most restrictive limit's
// headers, 429 with Retry-After, give-back when a later limit refuses, and the counters.
#include <catch.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "middleware/rate_limit/decision_stats.h"
#include "middleware/rate_limit/local_store.h"
#include "middleware/rate_limit/rate_limit_step.h"

namespace gw::middleware::rate_limit {
namespace {

constexpr Nanos kS = 1'000'000'000;

struct Harness {
    std::shared_ptr<std::atomic<Nanos>> now = std::make_shared<std::atomic<Nanos>>(kS);
    std::shared_ptr<LocalStore> store =
        std::make_shared<LocalStore>(0, [now = now] { return now->load(); });

    Limit limit(KeyKind kind, std::uint64_t n, std::chrono::seconds window, std::uint64_t id,
                std::string header = {}) {
        Limit l;
        l.kind = kind;
        l.header = std::move(header);
        l.limit = n;
        l.window = window;
        l.burst = n;
        l.rate = make_rate(n, window, n);
        l.id = id;
        l.store = store;
        l.stats = std::make_shared<DecisionStats>();
        return l;
    }
};

struct Call {
    std::optional<Reply> reply;
    RequestContext ctx;
    std::string header(std::string_view name) const {
        for (const auto& [k, v] : ctx.response_headers)
            if (k == name) return v;
        return "";
    }
};

Call run(const Step& step, const std::string& ip, const RequestHead& head = {},
         std::string consumer = {}) {
    Call call;
    call.ctx.client_addr = boost::asio::ip::make_address(ip);
    call.ctx.identity.consumer = std::move(consumer);
    RequestHead req = head;
    boost::asio::io_context ioc;
    auto f = boost::asio::co_spawn(ioc, step.on_request(call.ctx, req), boost::asio::use_future);
    ioc.run();
    call.reply = f.get();
    return call;
}

}  // namespace

TEST_CASE("step: limit passes, then 429 with Retry-After and RateLimit headers",
          "[rate_limit][step]") {
    Harness h;
    auto limit = h.limit(KeyKind::ip, 2, std::chrono::seconds(10), 1);
    auto stats = limit.stats;
    auto step = make_rate_limit_step({limit});
    CHECK(step->name() == "rate_limit");
    Call first = run(*step, "10.0.0.1");
    CHECK_FALSE(first.reply);
    CHECK(first.header("ratelimit-limit") == "2");
    CHECK(first.header("ratelimit-remaining") == "1");
    CHECK(first.header("ratelimit-reset") == "5");
    CHECK_FALSE(run(*step, "10.0.0.1").reply);
    Call refused = run(*step, "10.0.0.1");
    REQUIRE(refused.reply);
    CHECK(refused.reply->status == 429);
    CHECK(refused.reply->code == "rate_limited");
    REQUIRE(refused.reply->headers.size() == 1);
    CHECK(refused.reply->headers[0] ==
          std::pair<std::string, std::string>{"retry-after", "5"});
    CHECK(refused.header("ratelimit-remaining") == "0");
    CHECK(refused.header("ratelimit-reset") == "10");
    CHECK_FALSE(run(*step, "10.0.0.2").reply);  // another client
    // An IPv4 client seen as an IPv4-mapped IPv6 address is the same client.
    CHECK(run(*step, "::ffff:10.0.0.1").reply);
    CHECK(stats->allowed() == 3);
    CHECK(stats->limited() == 2);
}

TEST_CASE("step: the most restrictive limit decides the headers", "[rate_limit][step]") {
    Harness h;
    auto step = make_rate_limit_step({h.limit(KeyKind::route, 100, std::chrono::seconds(60), 1),
                                      h.limit(KeyKind::ip, 3, std::chrono::seconds(1), 2)});
    Call c = run(*step, "10.0.0.1");
    CHECK_FALSE(c.reply);
    CHECK(c.header("ratelimit-limit") == "3");
    CHECK(c.header("ratelimit-remaining") == "2");
    CHECK(c.ctx.response_headers.size() == 3);
}

TEST_CASE("step: a request refused by a later limit uses up none of the earlier ones",
          "[rate_limit][step]") {
    Harness h;
    auto route = h.limit(KeyKind::route, 3, std::chrono::seconds(60), 1);
    auto ip = h.limit(KeyKind::ip, 1, std::chrono::seconds(60), 2);
    auto step = make_rate_limit_step({route, ip});
    CHECK_FALSE(run(*step, "10.0.0.1").reply);
    for (int i = 0; i < 5; ++i) CHECK(run(*step, "10.0.0.1").reply);  // the ip limit refuses
    // The route limit still has two of its three left for other clients.
    CHECK_FALSE(run(*step, "10.0.0.2").reply);
    CHECK_FALSE(run(*step, "10.0.0.3").reply);
    Call c = run(*step, "10.0.0.4");
    REQUIRE(c.reply);
    CHECK(c.header("ratelimit-limit") == "3");
    CHECK(route.stats->limited() == 1);
    CHECK(ip.stats->limited() == 5);
    CHECK(ip.stats->allowed() == 3);
}

TEST_CASE("step: header keys count apart and fall back to the client address",
          "[rate_limit][step]") {
    Harness h;
    auto step =
        make_rate_limit_step({h.limit(KeyKind::header, 1, std::chrono::seconds(60), 1, "x-key")});
    RequestHead a;
    a.set("x-key", "alpha");
    RequestHead b;
    b.set("x-key", "beta");
    RequestHead empty;
    empty.set("x-key", "");
    CHECK_FALSE(run(*step, "10.0.0.1", a).reply);
    CHECK(run(*step, "10.0.0.2", a).reply);  // same value from another address
    CHECK_FALSE(run(*step, "10.0.0.1", b).reply);
    CHECK_FALSE(run(*step, "10.0.0.1").reply);       // no header: counted by address
    CHECK(run(*step, "10.0.0.1", empty).reply);      // an empty value is no value
    CHECK_FALSE(run(*step, "10.0.0.2", empty).reply);
}

TEST_CASE("step: consumer keys, and the address for callers without one",
          "[rate_limit][step]") {
    Harness h;
    auto step = make_rate_limit_step({h.limit(KeyKind::consumer, 1, std::chrono::seconds(60), 1)});
    CHECK_FALSE(run(*step, "10.0.0.1", {}, "billing").reply);
    CHECK(run(*step, "10.0.0.2", {}, "billing").reply);
    CHECK_FALSE(run(*step, "10.0.0.1", {}, "crm").reply);
    CHECK_FALSE(run(*step, "10.0.0.1").reply);
    CHECK(run(*step, "10.0.0.1").reply);
}

namespace {
// A store that must always be waited for (as Redis is).
class WaitingStore final : public Store {
public:
    std::optional<Decision> try_check(const Limit&, const Key&) override { return std::nullopt; }
    boost::asio::awaitable<Decision> check(const Limit&, const Key&) override {
        ++checks;
        Decision d;
        d.allowed = true;
        co_return d;
    }
    void give_back(const Limit&, const Key&) override {}
    int checks = 0;
};
}  // namespace

TEST_CASE("step: local limits decide without a coroutine, remote ones are awaited",
          "[rate_limit][step]") {
    Harness h;
    auto limit = h.limit(KeyKind::ip, 1, std::chrono::seconds(10), 1);
    auto step = make_rate_limit_step({limit});
    Call call;
    call.ctx.client_addr = boost::asio::ip::make_address("10.0.0.9");
    RequestHead req;
    REQUIRE(step->try_request(call.ctx, req, call.reply));
    CHECK_FALSE(call.reply);
    CHECK(call.header("ratelimit-remaining") == "0");
    Call second;
    second.ctx.client_addr = call.ctx.client_addr;
    REQUIRE(step->try_request(second.ctx, req, second.reply));
    REQUIRE(second.reply);
    CHECK(second.reply->status == 429);
    CHECK(limit.stats->allowed() == 1);
    CHECK(limit.stats->limited() == 1);

    // One remote limit among local ones: nothing is decided (or counted) without waiting.
    auto waiting = std::make_shared<WaitingStore>();
    auto remote = h.limit(KeyKind::route, 5, std::chrono::seconds(10), 2);
    remote.store = waiting;
    auto local = h.limit(KeyKind::ip, 5, std::chrono::seconds(10), 3);
    auto mixed = make_rate_limit_step({local, remote});
    Call third;
    third.ctx.client_addr = call.ctx.client_addr;
    CHECK_FALSE(mixed->try_request(third.ctx, req, third.reply));
    CHECK(third.ctx.response_headers.empty());
    CHECK(local.stats->allowed() == 0);
    Call awaited = run(*mixed, "10.0.0.9");
    CHECK_FALSE(awaited.reply);
    CHECK(waiting->checks == 1);
    CHECK(local.stats->allowed() == 1);
}

}  // namespace gw::middleware::rate_limit
