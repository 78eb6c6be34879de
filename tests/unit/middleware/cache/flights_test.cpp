// Request collapsing: one leader per key, followers woken on their own executor, bounded wait.
#include <catch.hpp>

#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "middleware/cache/flights.h"

using namespace gw::middleware::cache;
namespace asio = boost::asio;
using std::chrono::milliseconds;

TEST_CASE("the first join leads, later joins follow, end starts over", "[cache][flights]") {
    Flights flights;
    bool leader = false;
    auto first = flights.join("k", leader);
    CHECK(leader);
    auto second = flights.join("k", leader);
    CHECK_FALSE(leader);
    CHECK(second == first);
    flights.join("other", leader);
    CHECK(leader);
    CHECK(flights.in_flight() == 2);
    flights.end("k", first);
    CHECK(flights.in_flight() == 1);
    flights.join("k", leader);
    CHECK(leader);
}

TEST_CASE("a follower on another thread is woken when the leader ends", "[cache][flights]") {
    Flights flights;
    bool leader = false;
    auto flight = flights.join("k", leader);
    auto follower = flights.join("k", leader);
    REQUIRE_FALSE(leader);
    asio::io_context follower_ioc;  // the follower's worker
    auto woken = asio::co_spawn(follower_ioc, follower->wait(std::chrono::hours(1)),
                                asio::use_future);
    // Run the follower's worker until the waiter is registered, then end from this thread.
    while (follower_ioc.poll() == 0 &&
           woken.wait_for(milliseconds(0)) != std::future_status::ready) {
    }
    std::thread worker([&] { follower_ioc.run(); });
    flights.end("k", flight);
    worker.join();
    CHECK(woken.get());
}

TEST_CASE("a follower gives up after its timeout", "[cache][flights]") {
    Flights flights;
    bool leader = false;
    auto flight = flights.join("k", leader);
    asio::io_context ioc;
    auto woken = asio::co_spawn(ioc, flight->wait(milliseconds(1)), asio::use_future);
    ioc.run();
    CHECK_FALSE(woken.get());
    flights.end("k", flight);  // waking a waiter that left is harmless
    ioc.restart();
    ioc.run();
}

TEST_CASE("joining an ended flight does not wait", "[cache][flights]") {
    Flights flights;
    bool leader = false;
    auto flight = flights.join("k", leader);
    flights.end("k", flight);
    asio::io_context ioc;
    auto woken = asio::co_spawn(ioc, flight->wait(std::chrono::hours(1)), asio::use_future);
    ioc.run();
    CHECK(woken.get());
}

TEST_CASE("a lease ends its flight once, on release or destruction", "[cache][flights]") {
    Flights flights;
    bool leader = false;
    {
        FlightLease lease(flights, "k", flights.join("k", leader));
        CHECK(flights.in_flight() == 1);
        FlightLease moved = std::move(lease);
        lease.release();  // moved-from: nothing to end
        CHECK(flights.in_flight() == 1);
    }
    CHECK(flights.in_flight() == 0);
}
