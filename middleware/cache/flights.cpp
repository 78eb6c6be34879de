#include "middleware/cache/flights.h"

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>

namespace gw::middleware::cache {

Flights::Shard& Flights::shard_for(const std::string& key) {
    return shards_[std::hash<std::string>{}(key) % kShards];
}

std::shared_ptr<Flight> Flights::join(const std::string& key, bool& leader) {
    Shard& s = shard_for(key);
    std::lock_guard lock(s.mutex);
    auto [it, inserted] = s.flights.try_emplace(key);
    if (inserted) it->second = std::make_shared<Flight>();
    leader = inserted;
    return it->second;
}

void Flights::end(const std::string& key, const std::shared_ptr<Flight>& flight) {
    {
        Shard& s = shard_for(key);
        std::lock_guard lock(s.mutex);
        auto it = s.flights.find(key);
        if (it != s.flights.end() && it->second == flight) s.flights.erase(it);
    }
    flight->wake_all();
}

std::size_t Flights::in_flight() const {
    std::size_t n = 0;
    for (const auto& s : shards_) {
        std::lock_guard lock(s.mutex);
        n += s.flights.size();
    }
    return n;
}

void Flight::wake_all() {
    std::vector<Registration> waiters;
    {
        std::lock_guard lock(mutex_);
        ended_ = true;
        waiters.swap(waiters_);
    }
    for (auto& r : waiters) {
        // Runs on the follower's own thread; the waiter may be gone (it timed out).
        boost::asio::post(r.executor, [w = std::move(r.waiter)] {
            if (auto waiter = w.lock()) {
                waiter->woken = true;
                waiter->timer.cancel();
            }
        });
    }
}

Task<bool> Flight::wait(std::chrono::milliseconds timeout) {
    auto ex = co_await boost::asio::this_coro::executor;
    auto waiter = std::make_shared<Waiter>(ex);
    waiter->timer.expires_after(timeout);
    {
        std::lock_guard lock(mutex_);
        if (ended_) co_return true;
        waiters_.push_back(Registration{ex, waiter});
    }
    co_await waiter->timer.async_wait(kTuple);
    co_return waiter->woken;
}

}  // namespace gw::middleware::cache
