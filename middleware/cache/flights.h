// Request collapsing: while one request (the leader) fetches a key from the upstream, other
// misses for that key (followers, on any worker) wait for it instead of calling too.
//
// Threads: any worker joins and finishes flights; the table is sharded, each shard's mutex held
// for one map operation. A follower's wait state (a timer) belongs to the follower's worker:
// the leader never touches it, it posts a wake-up to the follower's executor, and the wake-up
// reaches the waiter only through a weak_ptr, so a follower that gave up (timeout) is simply
// skipped.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "server/executor.h"

namespace gw::middleware::cache {

class Flight;

class Flights {
public:
    static constexpr std::size_t kShards = 16;

    // The flight of key: `leader` is true when the caller started it and must end() it.
    std::shared_ptr<Flight> join(const std::string& key, bool& leader);
    // Ends the leader's flight: new misses start a new one; waiting followers are woken.
    void end(const std::string& key, const std::shared_ptr<Flight>& flight);
    std::size_t in_flight() const;

private:
    struct Shard {
        mutable std::mutex mutex;
        std::unordered_map<std::string, std::shared_ptr<Flight>> flights;
    };
    Shard& shard_for(const std::string& key);
    Shard shards_[kShards];
};

class Flight {
public:
    // Waits, on the caller's executor, until the leader ends the flight or `timeout` passes.
    // True when the leader ended it in time.
    Task<bool> wait(std::chrono::milliseconds timeout);

private:
    friend class Flights;
    struct Waiter {
        explicit Waiter(const Executor& ex) : timer(ex) {}
        Timer timer;  // touched only on its own executor
        bool woken = false;
    };
    struct Registration {
        Executor executor;
        std::weak_ptr<Waiter> waiter;
    };
    void wake_all();

    std::mutex mutex_;
    bool ended_ = false;
    std::vector<Registration> waiters_;
};

// Ends a leader's flight when it goes out of scope, whatever path the request took.
class FlightLease {
public:
    FlightLease() = default;
    FlightLease(Flights& flights, std::string key, std::shared_ptr<Flight> flight)
        : flights_(&flights), key_(std::move(key)), flight_(std::move(flight)) {}
    FlightLease(FlightLease&& o) noexcept { *this = std::move(o); }
    FlightLease& operator=(FlightLease&& o) noexcept {
        release();
        flights_ = std::exchange(o.flights_, nullptr);
        key_ = std::move(o.key_);
        flight_ = std::move(o.flight_);
        return *this;
    }
    ~FlightLease() { release(); }
    void release() {
        if (flights_) flights_->end(key_, flight_);
        flights_ = nullptr;
        flight_.reset();
    }

private:
    Flights* flights_ = nullptr;
    std::string key_;
    std::shared_ptr<Flight> flight_;
};

}  // namespace gw::middleware::cache
