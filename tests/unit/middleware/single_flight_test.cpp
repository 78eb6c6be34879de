// Single flight with a result: one leader per key, followers get the leader's result on their
// own executor (on any thread), a bounded wait, and a leader that leaves without a result
// still wakes its followers.
#include <catch.hpp>

#include <string>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "middleware/single_flight.h"

using namespace gw::middleware;
namespace asio = boost::asio;
using std::chrono::milliseconds;
using Table = SingleFlight<std::string, int>;

TEST_CASE("single flight: the first join leads, finishing starts over", "[single_flight]") {
    Table table;
    bool leader = false;
    auto first = table.join("k", leader);
    CHECK(leader);
    auto second = table.join("k", leader);
    CHECK_FALSE(leader);
    CHECK(second == first);
    table.join("other", leader);
    CHECK(leader);
    CHECK(table.in_flight() == 2);
    {
        Table::Lease lease(table, "k", first, -1);
        lease.finish(7);
        CHECK(table.in_flight() == 1);
    }
    table.join("k", leader);
    CHECK(leader);
}

TEST_CASE("single flight: followers get the leader's result", "[single_flight]") {
    Table table;
    bool leader = false;
    auto flight = table.join("k", leader);
    asio::io_context ioc;
    std::vector<std::future<std::optional<int>>> followers;
    for (int i = 0; i < 5; ++i) {
        auto f = table.join("k", leader);
        REQUIRE_FALSE(leader);
        followers.push_back(asio::co_spawn(ioc, f->wait(std::chrono::hours(1)),
                                           asio::use_future));
    }
    ioc.poll();  // every follower is waiting now
    Table::Lease lease(table, "k", flight, -1);
    lease.finish(42);
    ioc.run();
    for (auto& f : followers) CHECK(f.get() == 42);
    // A follower that joins after the result is set gets it at once.
    auto late = asio::co_spawn(ioc, flight->wait(milliseconds(1)), asio::use_future);
    ioc.restart();
    ioc.run();
    CHECK(late.get() == 42);
}

TEST_CASE("single flight: a follower on another thread gets the result", "[single_flight]") {
    Table table;
    bool leader = false;
    auto flight = table.join("k", leader);
    auto follower = table.join("k", leader);
    asio::io_context follower_ioc;  // the follower's worker
    auto got = asio::co_spawn(follower_ioc, follower->wait(std::chrono::hours(1)),
                              asio::use_future);
    // Whether the follower registers before or after the result is set, it gets the result.
    std::thread worker([&] { follower_ioc.run(); });
    Table::Lease(table, "k", flight, -1).finish(9);
    worker.join();
    CHECK(got.get() == 9);
}

TEST_CASE("single flight: a follower gives up after its timeout", "[single_flight]") {
    Table table;
    bool leader = false;
    auto flight = table.join("k", leader);
    asio::io_context ioc;
    auto got = asio::co_spawn(ioc, flight->wait(milliseconds(1)), asio::use_future);
    ioc.run();
    CHECK_FALSE(got.get().has_value());
    Table::Lease(table, "k", flight, -1).finish(1);  // waking a waiter that left is harmless
    CHECK(table.in_flight() == 0);
}

TEST_CASE("single flight: a leader that leaves without a result gives the fallback",
          "[single_flight]") {
    Table table;
    bool leader = false;
    auto flight = table.join("k", leader);
    asio::io_context ioc;
    auto got = asio::co_spawn(ioc, flight->wait(std::chrono::hours(1)), asio::use_future);
    ioc.poll();
    { Table::Lease lease(table, "k", flight, -1); }  // e.g. the request was cancelled
    ioc.run();
    CHECK(got.get() == -1);
    CHECK(table.in_flight() == 0);
    // The first result wins: a later finish changes nothing.
    flight->finish(5);
    auto again = asio::co_spawn(ioc, flight->wait(milliseconds(1)), asio::use_future);
    ioc.restart();
    ioc.run();
    CHECK(again.get() == -1);
}
