// TokenSource with a fake token endpoint: one fetch for many requests on two worker threads
// (single flight), failures shared and backed off, 401 rejection, refresh in the background.
#include <catch.hpp>

#include <atomic>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include "middleware/oauth2_client/token_source.h"
#include "server/log.h"

using namespace gw::middleware::oauth2_client;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

// The source logs each fetch; the test output stays readable without those lines.
struct QuietLog {
    QuietLog() { gw::log::set_level(gw::config::LogLevel::error); }
    ~QuietLog() { gw::log::set_level(gw::config::LogLevel::info); }
};

// Answers after a short pause (so requests pile up behind the fetch), counting its calls.
struct FakeEndpoint {
    std::atomic<int> calls{0};
    std::atomic<bool> fail{false};
    int expires_in = 3600;

    TokenSource::Fetcher fetcher() {
        return [this](asio::any_io_executor ex,
                      gw::server::FetchRequest req) -> asio::awaitable<gw::server::FetchResult> {
            int n = ++calls;
            asio::steady_timer pause(ex, 20ms);
            co_await pause.async_wait(asio::use_awaitable);
            gw::server::FetchResult r;
            if (fail) {
                r.error = asio::error::connection_refused;
                r.what = "connect: refused";
                co_return r;
            }
            CHECK(req.body == "grant_type=client_credentials");
            r.response.status = 200;
            r.response.body = R"({"access_token":"tok-)" + std::to_string(n) +
                              R"(","expires_in":)" + std::to_string(expires_in) + "}";
            co_return r;
        };
    }
};

std::shared_ptr<TokenSource> make_source(FakeEndpoint& ep, TokenSource::Now now = {}) {
    gw::config::OAuth2Client s;
    s.token_url = "http://127.0.0.1:1/token";
    s.client_id = "gw";
    s.client_secret = "secret";
    return std::make_shared<TokenSource>(s, ep.fetcher(), std::move(now));
}

struct Attached {
    std::uint64_t id = 0;
    std::string authorization;
};

// `n` requests on each of `threads` io_contexts, each on its own thread (like workers).
std::vector<Attached> attach_concurrently(TokenSource& source, int threads, int n) {
    std::vector<Attached> out(static_cast<std::size_t>(threads * n));
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            asio::io_context ioc(1);
            for (int i = 0; i < n; ++i) {
                auto& slot = out[static_cast<std::size_t>(t * n + i)];
                asio::co_spawn(
                    ioc,
                    [&]() -> gw::Task<void> {
                        http::fields f;
                        slot.id = co_await source.attach(f);
                        slot.authorization = std::string(f[http::field::authorization]);
                    },
                    asio::detached);
            }
            ioc.run();
        });
    }
    for (auto& w : workers) w.join();
    return out;
}

Attached attach_once(TokenSource& source) {
    return attach_concurrently(source, 1, 1).front();
}

}  // namespace

TEST_CASE("many requests on two threads cause one fetch", "[oauth2][token][source]") {
    QuietLog quiet;
    FakeEndpoint ep;
    auto source = make_source(ep);
    auto results = attach_concurrently(*source, 2, 100);
    CHECK(ep.calls == 1);
    CHECK(source->fetches() == 1);
    for (const auto& r : results) {
        REQUIRE(r.id != 0);
        CHECK(r.id == results.front().id);
        CHECK(r.authorization == "Bearer tok-1");
    }
    // Cached afterwards: no fetch, and the fast path hands out the same token.
    const Token* cached = source->cached();
    REQUIRE(cached);
    CHECK(cached->header == "Bearer tok-1");
    CHECK(attach_once(*source).id == results.front().id);
    CHECK(ep.calls == 1);
}

TEST_CASE("a failed fetch fails every waiter once, then backs off", "[oauth2][token][source]") {
    QuietLog quiet;
    FakeEndpoint ep;
    ep.fail = true;
    // A frozen clock: the backoff below cannot run out however slow the machine is.
    auto source = make_source(ep, [t = Clock::now()] { return t; });
    auto results = attach_concurrently(*source, 2, 20);
    for (const auto& r : results) {
        CHECK(r.id == 0);
        CHECK(r.authorization.empty());
    }
    CHECK(ep.calls == 1);
    // Within the backoff nobody tries again, even after the endpoint recovered.
    ep.fail = false;
    CHECK(attach_once(*source).id == 0);
    CHECK(ep.calls == 1);
}

TEST_CASE("a rejected token is replaced by one new fetch", "[oauth2][token][source]") {
    QuietLog quiet;
    FakeEndpoint ep;
    auto source = make_source(ep);
    auto first = attach_once(*source);
    REQUIRE(first.id != 0);
    CHECK(source->reject(first.id));
    CHECK_FALSE(source->cached());
    auto results = attach_concurrently(*source, 2, 20);
    for (const auto& r : results) {
        CHECK(r.id != first.id);
        CHECK(r.authorization == "Bearer tok-2");
    }
    CHECK(ep.calls == 2);
    // Another 401 for the replaced token changes nothing.
    CHECK(source->reject(first.id));
    CHECK(source->cached());
}

TEST_CASE("a due refresh keeps serving the old token until the new one is there",
          "[oauth2][token][source]") {
    QuietLog quiet;
    FakeEndpoint ep;
    ep.expires_in = 100;
    std::atomic<std::int64_t> offset_s{0};
    const Time start = Clock::now();
    auto source = make_source(ep, [&] { return start + std::chrono::seconds(offset_s.load()); });
    auto first = attach_once(*source);
    REQUIRE(first.authorization == "Bearer tok-1");
    offset_s = 95;  // past refresh_at (90s), before expiry
    CHECK_FALSE(source->cached());
    {
        asio::io_context ioc(1);
        auto got = asio::co_spawn(
            ioc,
            [&]() -> gw::Task<std::string> {
                http::fields f;
                co_await source->attach(f);
                co_return std::string(f[http::field::authorization]);
            },
            asio::use_future);
        ioc.run();  // also runs the refresh the request started
        CHECK(got.get() == "Bearer tok-1");
    }
    CHECK(ep.calls == 2);
    REQUIRE(source->cached());
    CHECK(source->cached()->header == "Bearer tok-2");
}
