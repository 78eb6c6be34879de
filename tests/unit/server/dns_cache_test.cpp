// The shared cache of upstream names: lookups, refreshed addresses, forgetting unused names.
#include <catch.hpp>

#include "server/dns_cache.h"

using gw::server::DnsCache;
using boost::asio::ip::make_address;
using boost::asio::ip::tcp;

TEST_CASE("dns cache: miss, store, hit, replace", "[dns]") {
    DnsCache cache;
    auto t0 = DnsCache::Clock::time_point{} + std::chrono::hours(1);
    CHECK_FALSE(cache.lookup("crm.internal", 80, t0));
    cache.store("crm.internal", 80, {tcp::endpoint(make_address("10.0.0.1"), 80)}, t0);
    auto hit = cache.lookup("crm.internal", 80, t0);
    REQUIRE(hit);
    CHECK(hit->at(0).address().to_string() == "10.0.0.1");
    CHECK_FALSE(cache.lookup("crm.internal", 81, t0));  // the port is part of the key
    cache.store("crm.internal", 80, {tcp::endpoint(make_address("10.0.0.2"), 80)}, t0);
    CHECK(cache.lookup("crm.internal", 80, t0)->at(0).address().to_string() == "10.0.0.2");
    cache.store("crm.internal", 80, {}, t0);  // an empty answer never replaces good addresses
    CHECK(cache.lookup("crm.internal", 80, t0)->size() == 1);
}

TEST_CASE("dns cache: names unused for a while are forgotten", "[dns]") {
    DnsCache cache;
    auto t0 = DnsCache::Clock::time_point{} + std::chrono::hours(1);
    cache.store("a", 80, {tcp::endpoint(make_address("10.0.0.1"), 80)}, t0);
    cache.store("b", 80, {tcp::endpoint(make_address("10.0.0.2"), 80)}, t0);
    auto later = t0 + DnsCache::kForget - std::chrono::seconds(1);
    CHECK(cache.lookup("a", 80, later));  // a is in use
    CHECK(cache.names(later).size() == 2);
    auto much_later = t0 + DnsCache::kForget + std::chrono::seconds(1);
    auto names = cache.names(much_later);
    REQUIRE(names.size() == 1);
    CHECK(names[0].first == "a");
    CHECK_FALSE(cache.lookup("b", 80, much_later));
}
