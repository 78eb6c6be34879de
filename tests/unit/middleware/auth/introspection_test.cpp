// The oauth2_introspection authenticator against a fake endpoint: what it sends, active and
// inactive answers, the cache (its ttl, never past the token's exp, negative answers too) and
// a provider that is down or answers nonsense.
#include <catch.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/steady_timer.hpp>

#include "token_auth_test_util.h"
#include "middleware/auth/introspection_authenticator.h"

namespace gw::middleware::auth {
namespace {

namespace asio = boost::asio;
using Status = AuthResult::Status;

struct FakeEndpoint {
    unsigned status = 200;
    std::string body = R"({"active":true,"sub":"alice","scope":"a b","client_id":"app"})";
    bool fail = false;
    int calls = 0;
    std::chrono::milliseconds delay{0};  // a slow provider, so that requests overlap
    server::FetchRequest last;

    FetchFn fn() {
        return [this](asio::any_io_executor ex, server::FetchRequest req)
                   -> asio::awaitable<server::FetchResult> {
            ++calls;
            last = std::move(req);
            if (delay.count() > 0) {
                asio::steady_timer t(ex, delay);
                co_await t.async_wait(asio::use_awaitable);
            }
            server::FetchResult r;
            if (fail) {
                r.error = asio::error::timed_out;
                r.what = "timeout";
            } else {
                r.response.status = status;
                r.response.body = body;
            }
            co_return r;
        };
    }
};

struct Fixture {
    FakeEndpoint idp;
    std::int64_t now = 1'700'000'000;
    std::optional<IntrospectionAuthenticator> auth;

    explicit Fixture(std::chrono::seconds ttl = std::chrono::seconds(60)) {
        IntrospectionConfig c;
        c.name = "intro";
        c.url = "http://127.0.0.1:1/introspect";
        c.client_id = "gw";
        c.client_secret = "s3cret:&";
        c.cache_ttl = ttl;
        c.cache = std::make_shared<IntrospectionCache>(100);
        c.fetch = idp.fn();
        c.clock = [this] { return now; };
        auth.emplace(std::move(c));
    }
    AuthResult check(const std::string& token) { return test::authenticate_bearer(*auth, token); }
};

// n requests with the same token at once, on one worker; their results.
std::vector<AuthResult> concurrently(Fixture& f, const std::string& token, int n) {
    asio::io_context ioc;
    RequestHead req;
    req.set(boost::beast::http::field::authorization, "Bearer " + token);
    RequestContext ctx;
    std::vector<AuthResult> results;
    for (int i = 0; i < n; ++i) {
        asio::co_spawn(ioc, f.auth->authenticate(ctx, req), [&](std::exception_ptr e, auto r) {
            if (!e) results.push_back(std::move(r));
        });
    }
    ioc.run();
    return results;
}

std::string header(const server::FetchRequest& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) {
        if (k == name) return v;
    }
    return "";
}

}  // namespace

TEST_CASE("introspection: request shape and an active answer", "[auth][introspection]") {
    Fixture f;
    auto r = f.check("tok en+/=");
    REQUIRE(r.status == Status::ok);
    CHECK(r.subject == "alice");
    CHECK(r.scopes == std::vector<std::string>{"a", "b"});
    CHECK(f.idp.last.method == "POST");
    CHECK(f.idp.last.url == "http://127.0.0.1:1/introspect");
    CHECK(f.idp.last.body == "token=tok%20en%2B%2F%3D&token_type_hint=access_token");
    CHECK(header(f.idp.last, "content-type") == "application/x-www-form-urlencoded");
    // base64("gw:s3cret%3A%26"): id and secret form-encoded first (RFC 6749 2.3.1).
    CHECK(header(f.idp.last, "authorization") == "Basic Z3c6czNjcmV0JTNBJTI2");
}

TEST_CASE("introspection: answers are cached for the ttl", "[auth][introspection]") {
    Fixture f;
    CHECK(f.check("t1").status == Status::ok);
    CHECK(f.check("t1").status == Status::ok);
    CHECK(f.idp.calls == 1);
    CHECK(f.check("t2").status == Status::ok);
    CHECK(f.idp.calls == 2);
    f.now += 59;
    CHECK(f.check("t1").status == Status::ok);
    CHECK(f.idp.calls == 2);
    f.now += 1;
    CHECK(f.check("t1").status == Status::ok);
    CHECK(f.idp.calls == 3);
}

TEST_CASE("introspection: never cached past the token's exp", "[auth][introspection]") {
    Fixture f;
    f.idp.body = R"({"active":true,"exp":)" + std::to_string(f.now + 10) + "}";
    CHECK(f.check("t").status == Status::ok);
    f.now += 9;
    CHECK(f.check("t").status == Status::ok);
    CHECK(f.idp.calls == 1);
    f.now += 1;
    // The provider (wrongly) still says active, but the token's exp has passed.
    auto r = f.check("t");
    CHECK(f.idp.calls == 2);
    CHECK(r.status == Status::failed);
    CHECK(r.code == "token_expired");
}

TEST_CASE("introspection: inactive tokens are refused, and that is cached",
          "[auth][introspection]") {
    Fixture f;
    f.idp.body = R"({"active":false,"sub":"ignored"})";
    auto r = f.check("revoked");
    CHECK(r.status == Status::failed);
    CHECK(r.code == "invalid_token");
    CHECK(r.message == "token is not active");
    CHECK(f.check("revoked").status == Status::failed);
    CHECK(f.idp.calls == 1);
}

TEST_CASE("introspection: cache 0s asks every time", "[auth][introspection]") {
    Fixture f(std::chrono::seconds(0));
    CHECK(f.check("t").status == Status::ok);
    CHECK(f.check("t").status == Status::ok);
    CHECK(f.idp.calls == 2);
}

TEST_CASE("introspection: provider down or nonsense is unavailable, not cached",
          "[auth][introspection]") {
    Fixture f;
    f.idp.fail = true;
    CHECK(f.check("t").status == Status::unavailable);
    f.idp.fail = false;
    for (const char* body : {"", "[]", "{\"active\":\"yes\"}", "{\"sub\":\"x\"}", "{\"active\":"}) {
        INFO(body);
        f.idp.body = body;
        CHECK(f.check("t").status == Status::unavailable);
    }
    f.idp.body = R"({"active":true})";
    f.idp.status = 500;
    CHECK(f.check("t").status == Status::unavailable);
    f.idp.status = 200;
    CHECK(f.check("t").status == Status::ok);
    CHECK(f.idp.calls == 8);
}

TEST_CASE("introspection: no bearer is absent; oversized tokens never leave",
          "[auth][introspection]") {
    Fixture f;
    asio::io_context ioc;
    RequestHead req;
    CHECK(test::authenticate(*f.auth, req, ioc).status == Status::absent);
    CHECK(f.check(std::string(9000, 'a')).status == Status::failed);
    CHECK(f.idp.calls == 0);
}

TEST_CASE("introspection cache: bounded, expired entries go first", "[auth][introspection]") {
    IntrospectionCache cache(16);  // one entry per shard
    IntrospectionAnswer a;
    a.active = true;
    for (int i = 0; i < 1000; ++i) {
        cache.store(IntrospectionCache::key_of(std::to_string(i)), a, 100, 0);
    }
    CHECK(cache.size() <= 16);
    auto k = IntrospectionCache::key_of("x");
    cache.store(k, a, 100, 0);
    CHECK(cache.find(k, 99));
    CHECK_FALSE(cache.find(k, 100));
}


TEST_CASE("introspection: concurrent misses for one token make one call",
          "[auth][introspection][flight]") {
    Fixture f;
    f.idp.delay = std::chrono::milliseconds(20);
    auto results = concurrently(f, "same", 20);
    REQUIRE(results.size() == 20);
    for (const auto& r : results) {
        CHECK(r.status == Status::ok);
        CHECK(r.subject == "alice");
    }
    CHECK(f.idp.calls == 1);
    CHECK(f.check("same").status == Status::ok);  // cached by the leader
    CHECK(f.idp.calls == 1);
    CHECK(concurrently(f, "other", 5).size() == 5);  // another token: its own call
    CHECK(f.idp.calls == 2);
}

TEST_CASE("introspection: a failed call fails its followers too, and is not remembered",
          "[auth][introspection][flight]") {
    Fixture f;
    f.idp.delay = std::chrono::milliseconds(20);
    f.idp.fail = true;
    auto results = concurrently(f, "t", 10);
    REQUIRE(results.size() == 10);
    for (const auto& r : results) CHECK(r.status == Status::unavailable);
    CHECK(f.idp.calls == 1);
    f.idp.fail = false;
    CHECK(f.check("t").status == Status::ok);  // the next request asks again
    CHECK(f.idp.calls == 2);
}

TEST_CASE("introspection: cache 0s collapses nothing", "[auth][introspection][flight]") {
    Fixture f(std::chrono::seconds(0));
    f.idp.delay = std::chrono::milliseconds(20);
    CHECK(concurrently(f, "t", 5).size() == 5);
    CHECK(f.idp.calls == 5);
}

}  // namespace gw::middleware::auth
