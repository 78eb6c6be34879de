// GCRA with a hand-driven clock: burst boundaries, refill, retry-after and the header values.
#include <catch.hpp>

#include "middleware/rate_limit/gcra.h"

namespace gw::middleware::rate_limit {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
constexpr Nanos kMs = 1'000'000;
constexpr Nanos kS = 1'000'000'000;

// Requests at `now` until one is refused; returns how many passed (bounded).
int burst_at(Nanos& tat, const Rate& rate, Nanos now) {
    for (int i = 0; i < 10'000; ++i)
        if (!gcra_decide(tat, rate, now).allowed) return i;
    return -1;
}

}  // namespace

TEST_CASE("a fresh key passes exactly burst requests at once", "[rate_limit][gcra]") {
    Rate rate = make_rate(10, seconds(1), 10);
    CHECK(rate.interval == 100 * kMs);
    Nanos tat = 0;
    Nanos now = 5 * kS;
    for (std::uint64_t i = 0; i < 10; ++i) {
        Decision d = gcra_decide(tat, rate, now);
        REQUIRE(d.allowed);
        CHECK(d.remaining == 9 - i);
        CHECK(d.reset == Nanos(i + 1) * 100 * kMs);
    }
    Decision refused = gcra_decide(tat, rate, now);
    CHECK_FALSE(refused.allowed);
    CHECK(refused.remaining == 0);
    CHECK(refused.retry_after == 100 * kMs);
    CHECK(refused.reset == kS);
    CHECK(tat == now + kS);  // a refusal does not move the TAT
}

TEST_CASE("refill: one request per interval, not a nanosecond earlier", "[rate_limit][gcra]") {
    Rate rate = make_rate(10, seconds(1), 10);
    Nanos tat = 0;
    Nanos now = kS;
    REQUIRE(burst_at(tat, rate, now) == 10);
    CHECK_FALSE(gcra_decide(tat, rate, now + 100 * kMs - 1).allowed);
    Decision d = gcra_decide(tat, rate, now + 100 * kMs);
    CHECK(d.allowed);
    CHECK(d.remaining == 0);
    // Half a window later, five more have come back.
    CHECK(burst_at(tat, rate, now + 600 * kMs) == 5);
    // A whole window of rest gives the full burst again.
    CHECK(burst_at(tat, rate, now + 10 * kS) == 10);
}

TEST_CASE("burst below the limit: fewer at once, same sustained rate", "[rate_limit][gcra]") {
    Rate rate = make_rate(1000, seconds(1), 200);  // CONFIG.md's example
    CHECK(rate.interval == kMs);
    Nanos tat = 0;
    Nanos now = kS;
    CHECK(burst_at(tat, rate, now) == 200);
    CHECK(burst_at(tat, rate, now + 50 * kMs) == 50);
}

TEST_CASE("burst above the limit: more at once, then the limit's pace", "[rate_limit][gcra]") {
    Rate rate = make_rate(2, seconds(1), 5);
    Nanos tat = 0;
    CHECK(burst_at(tat, rate, kS) == 5);
    Decision d = gcra_decide(tat, rate, kS);
    CHECK(d.retry_after == 500 * kMs);
    CHECK(burst_at(tat, rate, kS + 500 * kMs) == 1);
}

TEST_CASE("retry-after and reset round up to whole seconds", "[rate_limit][gcra]") {
    Rate rate = make_rate(1, seconds(90), 1);
    Nanos tat = 0;
    Nanos now = kS;
    Decision first = gcra_decide(tat, rate, now);
    CHECK(first.allowed);
    CHECK(ceil_seconds(first.reset) == 90);
    Decision refused = gcra_decide(tat, rate, now + 30 * kS + 1);
    CHECK_FALSE(refused.allowed);
    CHECK(ceil_seconds(refused.retry_after) == 60);  // 59.999999999 s
    CHECK(ceil_seconds(0) == 0);
    CHECK(ceil_seconds(1) == 1);
    CHECK(ceil_seconds(kS) == 1);
    CHECK(ceil_seconds(kS + 1) == 2);
}

TEST_CASE("give back returns one unit", "[rate_limit][gcra]") {
    Rate rate = make_rate(3, seconds(1), 3);
    Nanos tat = 0;
    REQUIRE(burst_at(tat, rate, kS) == 3);
    gcra_give_back(tat, rate);
    CHECK(gcra_decide(tat, rate, kS).allowed);
    CHECK_FALSE(gcra_decide(tat, rate, kS).allowed);
}

TEST_CASE("a window that does not divide evenly still allows the exact burst",
          "[rate_limit][gcra]") {
    Rate rate = make_rate(3, seconds(1), 3);
    CHECK(rate.interval == 333'333'333);
    Nanos tat = 0;
    CHECK(burst_at(tat, rate, kS) == 3);
}

TEST_CASE("representable rates", "[rate_limit][gcra]") {
    CHECK(rate_is_representable(1'000'000'000, seconds(1), 1'000'000'000));
    CHECK_FALSE(rate_is_representable(1'000'000'000, milliseconds(1), 1));  // < 1ns each
    CHECK_FALSE(rate_is_representable(1, std::chrono::hours(24), 1'000'000'000));
    CHECK_FALSE(rate_is_representable(0, seconds(1), 1));
    CHECK_FALSE(rate_is_representable(1, seconds(1), 0));
}

}  // namespace gw::middleware::rate_limit
