// Target choice: smooth weighted round robin, least request, random; health and circuits.
#include <catch.hpp>

#include <map>

#include "server/balancer.h"

using namespace gw::server;
using namespace gw::config;
using namespace std::chrono_literals;

namespace {

std::shared_ptr<Upstream> make_upstream(Balance balance, std::vector<unsigned> weights) {
    auto up = std::make_shared<Upstream>();
    up->name = "crm";
    up->balance = balance;
    for (std::size_t i = 0; i < weights.size(); ++i) {
        Target t;
        t.url = "http://t" + std::to_string(i) + ":80";
        t.weight = weights[i];
        t.state = std::make_shared<TargetState>();
        up->targets.push_back(std::move(t));
    }
    return up;
}

std::string sequence(Balancer& b, const std::shared_ptr<Upstream>& up, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += static_cast<char>('a' + b.pick(up, 0, 0));
    return out;
}

}  // namespace

TEST_CASE("smooth weighted round robin spreads the heavy target out", "[balancer]") {
    Balancer b(1);
    auto up = make_upstream(Balance::round_robin, {5, 1, 1});
    // nginx's documented sequence for weights 5, 1, 1.
    CHECK(sequence(b, up, 7) == "aabacaa");
    CHECK(sequence(b, up, 7) == "aabacaa");
}

TEST_CASE("round robin with equal weights alternates", "[balancer]") {
    Balancer b(1);
    auto up = make_upstream(Balance::round_robin, {1, 1, 1});
    CHECK(sequence(b, up, 6) == "abcabc");
}

TEST_CASE("unhealthy targets get no traffic while a healthy one exists", "[balancer]") {
    Balancer b(1);
    auto up = make_upstream(Balance::round_robin, {1, 1, 1});
    up->targets[1].state->set_healthy(false);
    CHECK(sequence(b, up, 4) == "acac");
    up->targets[0].state->set_healthy(false);
    up->targets[2].state->set_healthy(false);
    CHECK(sequence(b, up, 3) == "abc");  // none healthy: all of them rather than none
}

TEST_CASE("open circuits are skipped; all open gives kNone", "[balancer]") {
    Balancer b(1);
    auto up = make_upstream(Balance::round_robin, {1, 1});
    BreakerPolicy policy{1, 10s};
    up->targets[0].state->record(Outcome::failure, &policy, nullptr, 0);
    CHECK(sequence(b, up, 3) == "bbb");
    up->targets[1].state->record(Outcome::failure, &policy, nullptr, 0);
    CHECK(b.pick(up, 0, 0) == Balancer::kNone);
}

TEST_CASE("a retry prefers a target not tried yet", "[balancer]") {
    Balancer b(1);
    auto up = make_upstream(Balance::round_robin, {1, 1, 1});
    for (int i = 0; i < 10; ++i) {
        auto first = b.pick(up, 0, 0);
        auto second = b.pick(up, Balancer::Mask{1} << first, 0);
        CHECK(second != first);
    }
    auto single = make_upstream(Balance::round_robin, {1});
    CHECK(b.pick(single, 1, 0) == 0);  // nowhere else to go
}

TEST_CASE("least request avoids the target with requests in flight", "[balancer]") {
    Balancer b(7);
    auto up = make_upstream(Balance::least_request, {1, 1});
    b.begin(up, 0);
    b.begin(up, 0);
    for (int i = 0; i < 20; ++i) CHECK(b.pick(up, 0, 0) == 1);
    b.end(up, 0);
    b.end(up, 0);
    std::map<std::size_t, int> seen;
    for (int i = 0; i < 100; ++i) ++seen[b.pick(up, 0, 0)];
    CHECK(seen[0] > 0);
    CHECK(seen[1] > 0);
}

TEST_CASE("random follows the weights", "[balancer]") {
    Balancer b(42);
    auto up = make_upstream(Balance::random, {3, 1});
    int first = 0;
    for (int i = 0; i < 10000; ++i) first += b.pick(up, 0, 0) == 0;
    CHECK(first > 7000);
    CHECK(first < 8000);
}

TEST_CASE("a reloaded upstream starts with fresh counters", "[balancer]") {
    Balancer b(1);
    auto up = make_upstream(Balance::least_request, {1, 1});
    b.begin(up, 0);
    auto reloaded = make_upstream(Balance::least_request, {1, 1, 1});
    CHECK(b.pick(reloaded, 0, 0) < 3);
    b.end(up, 0);  // a request of the old definition ends: no effect on the new one
    b.begin(reloaded, 2);
    b.end(reloaded, 2);
}
