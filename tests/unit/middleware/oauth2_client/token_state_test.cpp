// TokenState with an injected clock: cache until the refresh margin, one fetch at a time,
// refresh while the old token is still valid, backoff after failures, 401 holdoff.
#include <catch.hpp>

#include "middleware/oauth2_client/token_state.h"

using namespace gw::middleware::oauth2_client;
using namespace std::chrono_literals;

namespace {
const Time t0 = Time{} + 1000h;
}

TEST_CASE("the refresh margin: 30s or 10%, at most half the lifetime", "[oauth2][token]") {
    TokenState defaults(std::nullopt);
    CHECK(defaults.margin(3600s) == 30s);
    CHECK(defaults.margin(100s) == 10s);
    CHECK(defaults.margin(1s) == 100ms);
    TokenState configured(std::chrono::milliseconds(2min));
    CHECK(configured.margin(3600s) == 2min);
    CHECK(configured.margin(60s) == 30s);  // never more than half: no fetch per request
    TokenState zero(std::chrono::milliseconds(0));
    CHECK(zero.margin(60s) == 0s);
}

TEST_CASE("a token is cached until its refresh time", "[oauth2][token]") {
    TokenState s(std::nullopt);
    auto d = s.next(t0);
    CHECK_FALSE(d.token);
    CHECK(d.fetch);
    CHECK_FALSE(d.failed);
    // Everyone else waits for that one fetch.
    auto other = s.next(t0);
    CHECK_FALSE(other.token);
    CHECK_FALSE(other.fetch);
    CHECK_FALSE(other.failed);

    auto token = s.succeeded("abc", 100s, t0);
    REQUIRE(token);
    CHECK(token->header == "Bearer abc");
    CHECK(token->id != 0);
    CHECK(token->expires_at == t0 + 100s);
    CHECK(token->refresh_at == t0 + 90s);
    d = s.next(t0 + 89s);
    CHECK(d.token == token);
    CHECK_FALSE(d.fetch);
}

TEST_CASE("a due refresh runs once while the old token keeps serving", "[oauth2][token]") {
    TokenState s(std::nullopt);
    s.next(t0);
    auto old = s.succeeded("old", 100s, t0);
    auto d = s.next(t0 + 95s);
    CHECK(d.token == old);
    CHECK(d.fetch);
    d = s.next(t0 + 96s);
    CHECK(d.token == old);
    CHECK_FALSE(d.fetch);  // already in flight
    auto fresh = s.succeeded("new", 100s, t0 + 97s);
    CHECK(fresh->id != old->id);
    CHECK(s.next(t0 + 98s).token == fresh);
}

TEST_CASE("an expired token is never used", "[oauth2][token]") {
    TokenState s(std::nullopt);
    s.next(t0);
    s.succeeded("abc", 100s, t0);
    s.next(t0 + 95s);     // the refresh starts...
    s.failed(t0 + 96s);   // ...and fails: the old token still serves until expiry
    auto d = s.next(t0 + 96s + 500ms);
    CHECK(d.token);
    CHECK_FALSE(d.fetch);  // within the backoff
    d = s.next(t0 + 100s);
    CHECK_FALSE(d.token);
    CHECK(d.fetch);  // the backoff (1s) has passed
}

TEST_CASE("failed fetches back off exponentially, success resets", "[oauth2][token]") {
    TokenState s(std::nullopt);
    auto now = t0;
    CHECK(s.next(now).fetch);
    s.failed(now);
    CHECK(s.next(now).failed);
    CHECK(s.next(now + 999ms).failed);
    CHECK(s.next(now + 1s).fetch);
    now += 1s;
    s.failed(now);
    CHECK(s.next(now + 1s).failed);
    CHECK(s.next(now + 2s).fetch);
    now += 2s;
    for (int i = 0; i < 10; ++i) {
        s.failed(now);
        now += kMaxBackoff;
        REQUIRE(s.next(now).fetch);  // capped at 30s
    }
    s.succeeded("abc", 3600s, now);
    s.next(now + 3600s);  // expired: fetch
    s.failed(now + 3600s);
    CHECK(s.next(now + 3601s).fetch);  // the count started again: 1s
}

TEST_CASE("a 401 drops the current token, once per holdoff", "[oauth2][token]") {
    TokenState s(std::nullopt);
    s.next(t0);
    auto a = s.succeeded("a", 3600s, t0);
    CHECK(s.reject(a->id, t0 + 1s));
    CHECK_FALSE(s.current());
    CHECK(s.next(t0 + 1s).fetch);
    auto b = s.succeeded("b", 3600s, t0 + 1s);
    // Late 401s for the old token do not touch the new one.
    CHECK(s.reject(a->id, t0 + 2s));
    CHECK(s.current() == b);
    // The new token refused too, within the holdoff: it stays.
    CHECK_FALSE(s.reject(b->id, t0 + 2s));
    CHECK(s.current() == b);
    CHECK(s.reject(b->id, t0 + 1s + kRejectHoldoff));
    CHECK_FALSE(s.current());
}

TEST_CASE("a 401 lifts the failure backoff", "[oauth2][token]") {
    TokenState s(std::nullopt);
    s.next(t0);
    auto a = s.succeeded("a", 100s, t0);
    s.next(t0 + 95s);
    s.failed(t0 + 95s);  // refresh failed: backoff until t0 + 96s
    CHECK(s.reject(a->id, t0 + 95s));
    CHECK(s.next(t0 + 95s).fetch);
}
