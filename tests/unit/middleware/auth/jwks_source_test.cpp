// The JWKS source against a fake identity provider: first fetch, early refetch on an unknown
// kid, the floor on refetches, keeping the last good keys, and 503 before any key arrived.
// One io_context plays both the control thread and the worker.
#include <catch.hpp>

#include <future>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "middleware/auth/jwks_metrics.h"
#include "middleware/auth/jwt_authenticator.h"
#include "token_minting.h"

namespace gw::middleware::auth {
namespace {

namespace asio = boost::asio;
using Status = AuthResult::Status;

struct FakeIdp {
    std::string body;
    bool fail = false;
    int calls = 0;
    std::string last_url;

    FetchFn fn() {
        return [this](asio::any_io_executor, server::FetchRequest req)
                   -> asio::awaitable<server::FetchResult> {
            ++calls;
            last_url = req.url;
            server::FetchResult r;
            if (fail) {
                r.error = asio::error::connection_refused;
                r.what = "connect: refused";
            } else {
                r.response.status = 200;
                r.response.body = body;
            }
            co_return r;
        };
    }
};

// Polls the io_context (bounded) until the future is ready.
template <class T>
T drive(asio::io_context& ioc, std::future<T>& f) {
    for (int i = 0; i < 10000 && f.wait_for(std::chrono::seconds(0)) != std::future_status::ready;
         ++i) {
        ioc.restart();
        ioc.poll();
    }
    REQUIRE(f.wait_for(std::chrono::seconds(0)) == std::future_status::ready);
    return f.get();
}

void settle(asio::io_context& ioc) {
    for (int i = 0; i < 100; ++i) {
        ioc.restart();
        ioc.poll();
    }
}

struct Fixture {
    asio::io_context ioc;
    FakeIdp idp;
    std::shared_ptr<JwksSource> source;
    std::optional<JwtAuthenticator> auth;

    explicit Fixture(config::Duration min_refresh, bool start = true) {
        idp.body = test::jwks_of({test::jwk_of(test::rsa_key().get(), "a")});
        JwksSource::Options o;
        o.url = "http://127.0.0.1:1/jwks";
        o.refresh = std::chrono::hours(1);
        o.min_refresh = min_refresh;
        source = std::make_shared<JwksSource>(o, idp.fn());
        JwtConfig c;
        c.name = "idp";
        c.algorithms = {JwtAlg::RS256};
        c.jwks = source;
        c.rules.require_exp = false;
        auth.emplace(std::move(c));
        if (start) source->start(ioc.get_executor());
        settle(ioc);
    }

    AuthResult check(const PkeyPtr& key, const std::string& kid) {
        RequestHead req;
        req.set(boost::beast::http::field::authorization,
                "Bearer " + test::sign_jwt("RS256", "{}", key.get(), kid));
        RequestContext ctx;
        auto f = asio::co_spawn(ioc, auth->authenticate(ctx, req), asio::use_future);
        return drive(ioc, f);
    }
};

}  // namespace

TEST_CASE("jwks source: fetched at start; unknown kid refetches", "[auth][jwks_source]") {
    Fixture f(std::chrono::milliseconds(0));
    CHECK(f.idp.calls == 1);
    CHECK(f.idp.last_url == "http://127.0.0.1:1/jwks");
    REQUIRE(f.source->keys());
    CHECK(f.check(test::rsa_key(), "a").status == Status::ok);
    CHECK(f.idp.calls == 1);  // a known kid needs no fetch

    // Rotation at the provider: key a removed, key b added.
    f.idp.body = test::jwks_of({test::jwk_of(test::rsa_key2().get(), "b")});
    CHECK(f.check(test::rsa_key2(), "b").status == Status::ok);
    CHECK(f.idp.calls == 2);
    auto old = f.check(test::rsa_key(), "a");
    CHECK(old.status == Status::failed);
    CHECK(old.code == "invalid_token");
}

TEST_CASE("jwks source: the floor bounds refetches on unknown kids", "[auth][jwks_source]") {
    Fixture f(std::chrono::hours(1));
    REQUIRE(f.idp.calls == 1);
    f.idp.body = test::jwks_of({test::jwk_of(test::rsa_key2().get(), "b")});
    for (int i = 0; i < 5; ++i) {
        auto r = f.check(test::rsa_key2(), "kid-" + std::to_string(i));
        CHECK(r.status == Status::failed);
        CHECK(r.message == "token key id is not known");
    }
    CHECK(f.idp.calls == 1);
}

TEST_CASE("jwks source: a failed fetch keeps the last good keys", "[auth][jwks_source]") {
    Fixture f(std::chrono::milliseconds(0));
    REQUIRE(f.source->keys());
    f.idp.fail = true;
    CHECK(f.check(test::rsa_key2(), "b").status == Status::failed);  // refetch failed
    CHECK(f.idp.calls == 2);
    CHECK(f.source->last_error() == "connect: refused");
    CHECK(f.check(test::rsa_key(), "a").status == Status::ok);       // old keys still work
    f.idp.fail = false;
    f.idp.body = "{\"keys\":[]}";
    CHECK(f.check(test::rsa_key2(), "c").status == Status::failed);
    CHECK(f.source->last_error() == "no usable signing key in the key set");
    CHECK(f.check(test::rsa_key(), "a").status == Status::ok);
    JwksMetrics metrics;
    metrics.add(f.source);
    std::string text;
    metrics.render(text);
    const std::string url = "url=\"http://127.0.0.1:1/jwks\"";
    CHECK(text.find("gateway_jwks_fetches_total{" + url + ",result=\"ok\"} 1\n") !=
          std::string::npos);
    CHECK(text.find("gateway_jwks_fetches_total{" + url + ",result=\"error\"} 2\n") !=
          std::string::npos);
    CHECK(text.find("gateway_jwks_keys{" + url + "} 1\n") != std::string::npos);
}

TEST_CASE("jwks source: never fetched answers unavailable", "[auth][jwks_source]") {
    SECTION("provider down since start") {
        // A floor of an hour: the loop does not retry within the test, nor may requests.
        Fixture f(std::chrono::hours(1), false);
        f.idp.fail = true;
        f.source->start(f.ioc.get_executor());
        settle(f.ioc);
        CHECK_FALSE(f.source->keys());
        CHECK(f.source->last_error() == "connect: refused");
        auto r = f.check(test::rsa_key(), "a");
        CHECK(r.status == Status::unavailable);
        CHECK(r.message == "token signing keys are not available yet");
        CHECK(f.idp.calls == 1);
    }
    SECTION("not started (gateway --check, no control thread)") {
        Fixture f(std::chrono::milliseconds(0), false);
        CHECK(f.check(test::rsa_key(), "a").status == Status::unavailable);
        CHECK(f.idp.calls == 0);
    }
}


TEST_CASE("jwks source: keys load once a provider that was down comes up",
          "[auth][jwks_source]") {
    Fixture f(std::chrono::milliseconds(20), false);  // refresh is an hour (Fixture)
    f.idp.fail = true;
    f.source->start(f.ioc.get_executor());
    settle(f.ioc);
    REQUIRE_FALSE(f.source->keys());
    CHECK(f.check(test::rsa_key(), "a").status == Status::unavailable);
    f.idp.fail = false;
    // Without keys the loop tries again at the floor's pace, not after the hour-long refresh.
    for (int i = 0; i < 500 && !f.source->keys(); ++i) {
        f.ioc.restart();
        f.ioc.run_for(std::chrono::milliseconds(10));
    }
    REQUIRE(f.source->keys());
    CHECK(f.source->last_error().empty());
    CHECK(f.check(test::rsa_key(), "a").status == Status::ok);
    CHECK(f.idp.calls >= 2);
}

}  // namespace gw::middleware::auth
