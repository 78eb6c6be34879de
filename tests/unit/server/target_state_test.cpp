// The circuit breaker and passive health marking of TargetState, with an injected clock.
#include <catch.hpp>

#include "server/target_state.h"

using namespace gw::server;
using namespace std::chrono_literals;
using Admit = TargetState::Admit;

namespace {
constexpr Nanos kSecond = 1'000'000'000;
const gw::config::BreakerPolicy kPolicy{3, 10s};
}  // namespace

TEST_CASE("breaker opens after consecutive failures and fails fast", "[breaker]") {
    TargetState s;
    Nanos t = 100 * kSecond;
    s.record(Outcome::failure, &kPolicy, nullptr, t);
    s.record(Outcome::failure, &kPolicy, nullptr, t);
    CHECK(s.circuit() == Circuit::closed);
    CHECK(s.admit(&kPolicy, t) == Admit::go);
    s.record(Outcome::failure, &kPolicy, nullptr, t);
    CHECK(s.circuit() == Circuit::open);
    CHECK(s.refusing(t + 9 * kSecond));
    CHECK(s.admit(&kPolicy, t + 9 * kSecond) == Admit::refuse);
}

TEST_CASE("a success in between resets the count", "[breaker]") {
    TargetState s;
    s.record(Outcome::failure, &kPolicy, nullptr, 0);
    s.record(Outcome::failure, &kPolicy, nullptr, 0);
    s.record(Outcome::success, &kPolicy, nullptr, 0);
    s.record(Outcome::failure, &kPolicy, nullptr, 0);
    s.record(Outcome::neutral, &kPolicy, nullptr, 0);  // a client that left counts for nothing
    CHECK(s.consecutive_failures() == 1);
    CHECK(s.circuit() == Circuit::closed);
}

TEST_CASE("half-open: one probe after open_for; success closes", "[breaker]") {
    TargetState s;
    for (int i = 0; i < 3; ++i) s.record(Outcome::failure, &kPolicy, nullptr, 0);
    Nanos later = 10 * kSecond;
    CHECK_FALSE(s.refusing(later));      // a probe is due: pickers may choose it
    CHECK(s.admit(&kPolicy, later) == Admit::probe);
    CHECK(s.circuit() == Circuit::half_open);
    CHECK(s.admit(&kPolicy, later) == Admit::refuse);  // only one probe
    CHECK(s.refusing(later + 1));
    s.record(Outcome::success, &kPolicy, nullptr, later + 2);
    CHECK(s.circuit() == Circuit::closed);
    CHECK(s.admit(&kPolicy, later + 3) == Admit::go);
}

TEST_CASE("half-open: a failed probe opens for another period", "[breaker]") {
    TargetState s;
    for (int i = 0; i < 3; ++i) s.record(Outcome::failure, &kPolicy, nullptr, 0);
    Nanos t = 10 * kSecond;
    REQUIRE(s.admit(&kPolicy, t) == Admit::probe);
    s.record(Outcome::failure, &kPolicy, nullptr, t + kSecond);
    CHECK(s.circuit() == Circuit::open);
    CHECK(s.admit(&kPolicy, t + 10 * kSecond) == Admit::refuse);  // 11 s after: still open
    CHECK(s.admit(&kPolicy, t + 11 * kSecond) == Admit::probe);
}

TEST_CASE("a probe that never reports lets another one through later", "[breaker]") {
    TargetState s;
    for (int i = 0; i < 3; ++i) s.record(Outcome::failure, &kPolicy, nullptr, 0);
    REQUIRE(s.admit(&kPolicy, 10 * kSecond) == Admit::probe);
    CHECK(s.admit(&kPolicy, 19 * kSecond) == Admit::refuse);
    CHECK(s.admit(&kPolicy, 20 * kSecond) == Admit::probe);
}

TEST_CASE("without a breaker policy every attempt goes", "[breaker]") {
    TargetState s;
    for (int i = 0; i < 10; ++i) s.record(Outcome::failure, nullptr, nullptr, 0);
    CHECK(s.circuit() == Circuit::closed);
    CHECK(s.admit(nullptr, 0) == Admit::go);
}

TEST_CASE("passive marking: failures from traffic make a checked target unhealthy",
          "[health]") {
    TargetState s;
    gw::config::HealthCheck hc;
    hc.unhealthy_after = 2;
    s.record(Outcome::failure, nullptr, &hc, 0);
    CHECK(s.healthy());
    s.record(Outcome::failure, nullptr, &hc, 0);
    CHECK_FALSE(s.healthy());
    s.record(Outcome::success, nullptr, &hc, 0);  // only the checker heals
    CHECK_FALSE(s.healthy());
    s.set_healthy(true);
    CHECK(s.healthy());
    CHECK(s.consecutive_failures() == 0);
}

TEST_CASE("target states survive reloads for the same upstream and url", "[health]") {
    TargetStates states;
    auto a = states.get("crm", "http://a:1");
    a->set_healthy(false);
    CHECK(states.get("crm", "http://a:1") == a);
    CHECK(states.get("crm", "http://b:1") != a);
    CHECK(states.get("billing", "http://a:1") != a);
    a.reset();  // no config holds it any more: a later one starts afresh
    CHECK(states.get("crm", "http://a:1")->healthy());
}
