// The shared counter table: exact counts from many threads, idle keys forgotten for free, a
// flood of distinct keys bounded by the table's size, and the local store's key separation.
#include <catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "middleware/rate_limit/counter_table.h"
#include "middleware/rate_limit/local_store.h"

namespace gw::middleware::rate_limit {
namespace {

constexpr Nanos kS = 1'000'000'000;

struct ManualClock {
    std::shared_ptr<std::atomic<Nanos>> now = std::make_shared<std::atomic<Nanos>>(kS);
    Clock fn() const {
        return [now = now] { return now->load(); };
    }
    void advance(Nanos d) { *now += d; }
};

// A well-mixed key as the local store would make it.
std::uint64_t mixed(std::uint64_t i) {
    std::uint64_t x = i + 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

}  // namespace

TEST_CASE("table: exactly burst pass when many threads race for one key",
          "[rate_limit][table]") {
    ManualClock clock;
    CounterTable table(1 << 12, clock.fn());
    Rate rate = make_rate(1000, std::chrono::seconds(60), 1000);
    std::atomic<int> allowed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 500; ++i)
                if (table.decide(42, rate).allowed) allowed.fetch_add(1);
        });
    for (auto& th : threads) th.join();
    CHECK(allowed.load() == 1000);
}

TEST_CASE("table: keys count apart; idle keys are reused without forced evictions",
          "[rate_limit][table]") {
    ManualClock clock;
    CounterTable table(0, clock.fn());  // the minimum: 64 shards x 16 slots
    CHECK(table.capacity() == CounterTable::kShards * CounterTable::kProbe);
    Rate rate = make_rate(2, std::chrono::seconds(1), 2);
    CHECK(table.decide(mixed(1), rate).allowed);
    CHECK(table.decide(mixed(1), rate).allowed);
    CHECK_FALSE(table.decide(mixed(1), rate).allowed);
    CHECK(table.decide(mixed(2), rate).allowed);
    // Ten times the capacity in distinct keys, each idle again a second later.
    for (std::uint64_t i = 0; i < 10 * table.capacity(); ++i) {
        if (i % 256 == 0) clock.advance(kS);
        table.decide(mixed(1000 + i), rate);
    }
    CHECK(table.forced_evictions() == 0);
    CHECK(table.busy_keys() <= table.capacity());
}

TEST_CASE("table: a flood of busy keys stays within the bound and evicts the least busy",
          "[rate_limit][table]") {
    ManualClock clock;
    CounterTable table(0, clock.fn());
    Rate rate = make_rate(1, std::chrono::hours(1), 1);
    const std::size_t flood = 20 * table.capacity();
    std::size_t allowed = 0;
    for (std::uint64_t i = 0; i < flood; ++i) allowed += table.decide(mixed(i), rate).allowed;
    CHECK(allowed == flood);  // every key is new: one request each is within its limit
    CHECK(table.busy_keys() == table.capacity());
    CHECK(table.forced_evictions() >= flood - table.capacity());
    // The most recent keys are still remembered (eviction took the oldest TATs first).
    CHECK_FALSE(table.decide(mixed(flood - 1), rate).allowed);
}

TEST_CASE("table: give back only touches a key still present", "[rate_limit][table]") {
    ManualClock clock;
    CounterTable table(0, clock.fn());
    Rate rate = make_rate(1, std::chrono::seconds(10), 1);
    CHECK(table.decide(mixed(7), rate).allowed);
    CHECK_FALSE(table.decide(mixed(7), rate).allowed);
    table.give_back(mixed(7), rate);
    CHECK(table.decide(mixed(7), rate).allowed);
    table.give_back(mixed(8), rate);  // never seen: nothing to give back, nothing created
    CHECK(table.busy_keys() == 1);
}

TEST_CASE("local store: limits and key kinds never share counters", "[rate_limit][store]") {
    ManualClock clock;
    LocalStore store(0, clock.fn());
    Limit a;
    a.rate = make_rate(1, std::chrono::seconds(10), 1);
    a.id = 1;
    Limit b = a;
    b.id = 2;
    const unsigned char ip[4] = {127, 0, 0, 1};
    Key addr{Key::Kind::address, {reinterpret_cast<const char*>(ip), 4}};
    Key text{Key::Kind::text, {reinterpret_cast<const char*>(ip), 4}};  // same bytes
    CHECK(store.try_check(a, addr)->allowed);
    CHECK_FALSE(store.try_check(a, addr)->allowed);
    CHECK(store.try_check(b, addr)->allowed);  // another limit
    CHECK(store.try_check(a, text)->allowed);  // a header value that looks like the address
    clock.advance(10 * kS);
    CHECK(store.try_check(a, addr)->allowed);  // refilled
}

}  // namespace gw::middleware::rate_limit
