// The current key set of one JWKS URL, kept fresh in the background: fetched at start, again
// every `refresh`, and early when a token names a kid the set does not hold (at most once per
// `min_refresh`, so random kids cannot make the gateway hammer its identity provider). A
// failed fetch keeps the last good set; until one fetch has succeeded the set is null and the
// routes using it answer 503, and every failure is logged with its reason.
//
// Threads: keys() is called by every worker and is one atomic load (SharedSnapshot). The
// refresh loop and its timer live on the control thread (the Registry's background executor).
// Workers that wait for an early refresh register under a mutex taken only on that rare path;
// the loop wakes them by posting to each waiter's own executor (timers die on the thread that
// made them). One instance per URL lives in the middleware::Registry, so a reload keeps keys
// and loop.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "config/types.h"
#include "middleware/auth/jwt_key.h"
#include "middleware/shared_snapshot.h"
#include "server/executor.h"
#include "server/http_client.h"

namespace gw::middleware::auth {

// The outbound call, server::fetch in the gateway; unit tests pass their own.
using FetchFn = std::function<boost::asio::awaitable<server::FetchResult>(
    boost::asio::any_io_executor, server::FetchRequest)>;

class JwksSource : public std::enable_shared_from_this<JwksSource> {
public:
    struct Options {
        std::string url;
        config::UpstreamTls tls;
        config::Duration refresh = std::chrono::minutes(5);
        config::Duration min_refresh = std::chrono::seconds(30);
        config::Duration timeout = std::chrono::seconds(5);  // one fetch, whole exchange
    };

    JwksSource(Options options, FetchFn fetch);

    // The last good key set; null until a fetch has succeeded. Any thread, no lock.
    std::shared_ptr<const KeySet> keys() const { return keys_.get(); }
    // Why the last fetch failed, "" after a success or before any. Any thread.
    std::string last_error() const;
    // Completed fetches that gave a key set, and those that did not (metrics). Any thread.
    std::uint64_t successes() const { return successes_.load(std::memory_order_relaxed); }
    std::uint64_t failures() const { return failures_.load(std::memory_order_relaxed); }
    const Options& options() const { return options_; }

    // Starts the refresh loop on the control thread's executor; the first fetch begins now.
    void start(const boost::asio::any_io_executor& background);

    // For an unknown kid or a missing key set: asks the loop for an early fetch (unless one is
    // under way, or the last began less than min_refresh ago) and waits on the caller's
    // executor until it completes or `wait` passes. Returns the key set as it is then.
    Task<std::shared_ptr<const KeySet>> refresh_and_wait(config::Duration wait);

private:
    struct Waiter {
        Executor executor;
        std::weak_ptr<Timer> timer;
    };
    using Clock = std::chrono::steady_clock;

    boost::asio::awaitable<void> run();
    boost::asio::awaitable<void> fetch_once();
    boost::asio::awaitable<void> wait_until(boost::asio::steady_timer& timer,
                                            Clock::time_point when);
    void finish(std::shared_ptr<const KeySet> set, std::string why);
    bool join(const Executor& ex, const std::shared_ptr<Timer>& timer);

    const Options options_;
    const FetchFn fetch_;
    SharedSnapshot<KeySet> keys_;
    std::atomic<std::uint64_t> successes_{0};
    std::atomic<std::uint64_t> failures_{0};

    mutable std::mutex mutex_;  // guards the members below
    bool started_ = false;
    bool pending_ = false;      // a fetch is asked for or under way
    Clock::time_point last_attempt_{};
    std::string last_error_;
    std::vector<Waiter> waiters_;
    boost::asio::any_io_executor background_;

    // Control thread only: the refresh loop's timer, which lives in the loop's coroutine frame
    // so that it dies with the control thread's io_context, not after it.
    boost::asio::steady_timer* wake_ = nullptr;
};

}  // namespace gw::middleware::auth
