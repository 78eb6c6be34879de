// Retry policy pieces: failure and method filters, backoff, Retry-After, the budget, the gate.
#include <catch.hpp>

#include "server/retry_policy.h"

using namespace gw::server;
using namespace gw::config;
using namespace std::chrono_literals;

namespace {
constexpr Nanos kSecond = 1'000'000'000;

RetryPolicy policy() {
    RetryPolicy p;
    p.attempts = 3;
    p.on_connect_failure = p.on_reset = true;
    p.statuses = {503};
    p.backoff = 100ms;
    p.methods = {"GET", "PUT"};
    return p;
}
}  // namespace

TEST_CASE("retried failures, statuses and methods", "[retry]") {
    auto p = policy();
    CHECK(retried_on(p, Failure::connect_failure, 0));
    CHECK(retried_on(p, Failure::reset, 0));
    CHECK_FALSE(retried_on(p, Failure::timeout, 0));
    CHECK(retried_on(p, Failure::status, 503));
    CHECK_FALSE(retried_on(p, Failure::status, 500));
    CHECK(method_retried(p, "GET"));
    CHECK_FALSE(method_retried(p, "POST"));
}

TEST_CASE("backoff doubles, is capped, and jitters within the upper half", "[retry]") {
    for (std::uint64_t r : {0ull, 1ull, 49ull, 50ull, 12345ull, ~0ull}) {
        auto first = backoff_delay(100ms, 1, r);
        CHECK(first >= 50ms);
        CHECK(first <= 100ms);
        auto third = backoff_delay(100ms, 3, r);
        CHECK(third >= 200ms);
        CHECK(third <= 400ms);
        auto late = backoff_delay(100ms, 30, r);
        CHECK(late <= 3200ms);
    }
    CHECK(backoff_delay(100ms, 1, 0) != backoff_delay(100ms, 1, 37));
    CHECK(backoff_delay(0ms, 2, 5) == 0ms);
}

TEST_CASE("Retry-After in seconds or as an HTTP-date; garbage is ignored", "[retry]") {
    // Wed, 21 Oct 2015 07:28:00 GMT
    const SystemTime now = std::chrono::system_clock::from_time_t(1445412480);
    CHECK(parse_retry_after("3", now) == Duration(3000));
    CHECK(parse_retry_after(" 0 ", now) == Duration(0));
    CHECK(parse_retry_after("86400", now) == Duration(86'400'000));
    CHECK_FALSE(parse_retry_after("86401", now));
    CHECK(parse_retry_after("Wed, 21 Oct 2015 07:28:05 GMT", now) == Duration(5000));
    CHECK(parse_retry_after("Wednesday, 21-Oct-15 07:29:00 GMT", now) == Duration(60'000));
    // A date already past: retry at once (the backoff does not apply either).
    CHECK(parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now) == Duration(0));
    CHECK_FALSE(parse_retry_after("Thu, 22 Oct 2015 07:28:01 GMT", now));  // over a day
    CHECK_FALSE(parse_retry_after("Wed, 21 Oct 2015 07:28:05", now));
    CHECK_FALSE(parse_retry_after("-1", now));
    CHECK_FALSE(parse_retry_after("", now));
}

TEST_CASE("retry budget: a floor, then a fifth of requests over the window", "[retry]") {
    RetryBudget b;
    Nanos t = 1000 * kSecond;
    int allowed = 0;
    for (int i = 0; i < 100; ++i)
        if (b.try_retry(t)) ++allowed;
    CHECK(allowed == int(RetryBudget::kFloor));
    for (int i = 0; i < 200; ++i) b.record_request(t);
    allowed = 0;
    for (int i = 0; i < 100; ++i)
        if (b.try_retry(t)) ++allowed;
    CHECK(allowed == 40 - int(RetryBudget::kFloor));  // 20% of 200, the floor already spent
    // Ten seconds later the window has moved past all of it.
    CHECK(b.has_room(t + 10 * kSecond));
    allowed = 0;
    for (int i = 0; i < 100; ++i)
        if (b.try_retry(t + 10 * kSecond)) ++allowed;
    CHECK(allowed == int(RetryBudget::kFloor));
}

TEST_CASE("gate: armed only while attempts remain, once per arming", "[retry]") {
    auto p = policy();
    RetryBudget budget;
    RetryGate gate(p, &budget, 100 * kSecond, 1);
    CHECK_FALSE(gate.allow(Failure::reset, 0, {}, 0));  // not armed
    gate.arm(1);
    CHECK(gate.allow(Failure::reset, 0, {}, 0));
    CHECK_FALSE(gate.allow(Failure::reset, 0, {}, 0));  // one retry per attempt
    gate.arm(2);
    CHECK_FALSE(gate.allow(Failure::timeout, 0, {}, 0));  // not in on:
    CHECK(gate.allow(Failure::status, 503, {}, 0));
    gate.arm(3);  // the last attempt
    CHECK_FALSE(gate.allow(Failure::reset, 0, {}, 0));
    CHECK(gate.retries() == 2);
}

TEST_CASE("gate: Retry-After is honoured only within the deadline", "[retry]") {
    auto p = policy();
    RetryBudget budget;
    RetryGate gate(p, &budget, 5 * kSecond, 1);
    gate.arm(1);
    CHECK(gate.allow(Failure::status, 503, "2", 0));
    CHECK(gate.wait() == 2000ms);
    gate.arm(2);
    CHECK_FALSE(gate.allow(Failure::status, 503, "9", 0));  // would end past the timeout
    CHECK(gate.allow(Failure::status, 503, "soon", 0));     // unreadable: the backoff
    CHECK(gate.wait() <= 200ms);
}

TEST_CASE("gate: no budget, no retry", "[retry]") {
    auto p = policy();
    RetryBudget budget;
    for (unsigned i = 0; i < RetryBudget::kFloor; ++i) REQUIRE(budget.try_retry(0));
    RetryGate gate(p, &budget, 100 * kSecond, 1);
    gate.arm(1);
    CHECK_FALSE(gate.allow(Failure::reset, 0, {}, 0));
    RetryGate none(p, nullptr, 100 * kSecond, 1);
    none.arm(1);
    CHECK_FALSE(none.allow(Failure::reset, 0, {}, 0));
}
