// Single flight with a result: while one caller (the leader) computes the result for a key,
// other callers with that key (followers, on any worker) wait for the leader's result instead
// of computing it too. Used by token introspection, so that N concurrent requests carrying one
// uncached token make one call to the identity provider. (The response cache's Flights,
// middleware/cache/flights.h, carries no result: its followers read the store afterwards.)
//
// Threads: any worker joins and finishes flights. The table is sharded, each shard's mutex held
// for one map operation; a flight's mutex guards its result and its waiter list. A follower's
// timer belongs to the follower's worker: the leader never touches it, it posts the wake-up to
// the follower's executor, and reaches the waiter only through a weak_ptr, so a follower that
// gave up (timeout) is simply skipped.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include "server/executor.h"

namespace gw::middleware {

template <class Result>
class Flight {
public:
    // Waits on the caller's executor until the leader finishes or `timeout` passes: the
    // leader's result, or nullopt on timeout.
    Task<std::optional<Result>> wait(std::chrono::milliseconds timeout) {
        auto ex = co_await boost::asio::this_coro::executor;
        auto waiter = std::make_shared<Waiter>(ex);
        waiter->timer.expires_after(timeout);
        {
            std::lock_guard lock(mutex_);
            if (result_) co_return *result_;
            waiters_.push_back(Registration{ex, waiter});
        }
        co_await waiter->timer.async_wait(kTuple);
        std::lock_guard lock(mutex_);
        co_return result_;  // set before the wake-up was posted; still empty on a timeout
    }

    // Sets the result and wakes every follower; the first call wins.
    void finish(Result result) {
        std::vector<Registration> waiters;
        {
            std::lock_guard lock(mutex_);
            if (result_) return;
            result_.emplace(std::move(result));
            waiters.swap(waiters_);
        }
        for (auto& r : waiters) {
            // Runs on the follower's own thread; the waiter may be gone (it timed out).
            boost::asio::post(r.executor, [w = std::move(r.waiter)] {
                if (auto waiter = w.lock()) waiter->timer.cancel();
            });
        }
    }

private:
    struct Waiter {
        explicit Waiter(const Executor& ex) : timer(ex) {}
        Timer timer;  // touched only on its own executor
    };
    struct Registration {
        Executor executor;
        std::weak_ptr<Waiter> waiter;
    };

    std::mutex mutex_;
    std::optional<Result> result_;
    std::vector<Registration> waiters_;
};

template <class Key, class Result, class Hash = std::hash<Key>>
class SingleFlight {
public:
    using FlightPtr = std::shared_ptr<Flight<Result>>;

    // Ends a leader's flight when it goes out of scope, with `fallback` unless finish() ran
    // first (an exception, a cancelled request): followers never wait for a leader that left.
    class Lease {
    public:
        Lease(SingleFlight& table, Key key, FlightPtr flight, Result fallback)
            : table_(&table), key_(std::move(key)), flight_(std::move(flight)),
              fallback_(std::move(fallback)) {}
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        ~Lease() { finish(std::move(fallback_)); }
        void finish(Result result) {
            if (!table_) return;
            table_->remove(key_, flight_);
            flight_->finish(std::move(result));
            table_ = nullptr;
        }

    private:
        SingleFlight* table_;
        Key key_;
        FlightPtr flight_;
        Result fallback_;
    };

    // The flight of key; `leader` is true when the caller started it and must finish it
    // (through a Lease).
    FlightPtr join(const Key& key, bool& leader) {
        Shard& s = shard_for(key);
        std::lock_guard lock(s.mutex);
        auto [it, inserted] = s.flights.try_emplace(key);
        if (inserted) it->second = std::make_shared<Flight<Result>>();
        leader = inserted;
        return it->second;
    }

    std::size_t in_flight() const {
        std::size_t n = 0;
        for (const auto& s : shards_) {
            std::lock_guard lock(s.mutex);
            n += s.flights.size();
        }
        return n;
    }

private:
    static constexpr std::size_t kShards = 16;
    struct Shard {
        mutable std::mutex mutex;
        std::unordered_map<Key, FlightPtr, Hash> flights;
    };

    // New joiners start a new flight from here on; the finished one's followers keep theirs.
    void remove(const Key& key, const FlightPtr& flight) {
        Shard& s = shard_for(key);
        std::lock_guard lock(s.mutex);
        auto it = s.flights.find(key);
        if (it != s.flights.end() && it->second == flight) s.flights.erase(it);
    }
    Shard& shard_for(const Key& key) { return shards_[Hash{}(key) % kShards]; }

    Shard shards_[kShards];
};

}  // namespace gw::middleware
