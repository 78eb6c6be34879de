#include "middleware/auth/jwks_source.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "middleware/auth/jwks.h"
#include "server/log.h"

namespace gw::middleware::auth {
namespace {

namespace asio = boost::asio;
constexpr auto kWait = asio::as_tuple(asio::use_awaitable);

}  // namespace

JwksSource::JwksSource(Options options, FetchFn fetch)
    : options_(std::move(options)), fetch_(std::move(fetch)) {}

std::string JwksSource::last_error() const {
    std::lock_guard lock(mutex_);
    return last_error_;
}

void JwksSource::start(const asio::any_io_executor& background) {
    {
        std::lock_guard lock(mutex_);
        if (started_) return;
        started_ = true;
        pending_ = true;
        background_ = background;
    }
    asio::co_spawn(background, [self = shared_from_this()] { return self->run(); },
                   log::on_exception("jwks refresh"));
}

asio::awaitable<void> JwksSource::run() {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    wake_ = &timer;
    struct Clear {
        asio::steady_timer*& p;
        ~Clear() { p = nullptr; }
    } clear{wake_};
    for (;;) {
        co_await fetch_once();
        // Without keys, try again at the floor's pace rather than wait a whole interval.
        timer.expires_after(keys() ? options_.refresh : options_.min_refresh);
        co_await timer.async_wait(kWait);  // expiry, or a worker asking for keys early
        Clock::time_point floor;
        {
            std::lock_guard lock(mutex_);
            floor = last_attempt_ + options_.min_refresh;
            pending_ = true;
        }
        co_await wait_until(timer, floor);
    }
}

// Sleeps until `when`; a wake-up posted meanwhile does not shorten the floor.
asio::awaitable<void> JwksSource::wait_until(asio::steady_timer& timer,
                                             Clock::time_point when) {
    for (int i = 0; i < 64 && Clock::now() < when; ++i) {
        timer.expires_at(when);
        co_await timer.async_wait(kWait);
    }
}

asio::awaitable<void> JwksSource::fetch_once() {
    {
        std::lock_guard lock(mutex_);
        last_attempt_ = Clock::now();
    }
    server::FetchRequest req;
    req.url = options_.url;
    req.headers = {{"accept", "application/json"}};
    req.timeout = options_.timeout;
    req.tls = options_.tls;
    req.max_body = kMaxJwksBytes;
    auto res = co_await fetch_(co_await asio::this_coro::executor, std::move(req));
    std::string why;
    std::shared_ptr<const KeySet> set;
    if (res.error) {
        why = res.what.empty() ? res.error.message() : res.what;
    } else if (res.response.status != 200) {
        why = "status " + std::to_string(res.response.status);
    } else {
        set = parse_jwks(res.response.body, why);
    }
    finish(std::move(set), std::move(why));
}

void JwksSource::finish(std::shared_ptr<const KeySet> set, std::string why) {
    const bool had_keys = keys() != nullptr;
    const bool failed = set == nullptr;
    // Counted before the log line, so that whoever reads the log sees the count too.
    (failed ? failures_ : successes_).fetch_add(1, std::memory_order_relaxed);
    if (set) {
        log::info("jwks loaded", {{"url", options_.url},
                                  {"keys", std::to_string(set->keys.size())}});
        keys_.publish(std::move(set));
    } else {
        log::warn("jwks fetch failed",
                  {{"url", options_.url}, {"reason", why},
                   {"effect", had_keys ? "keeping the last good keys"
                                       : "no keys yet: routes using them answer 503"}});
    }
    std::vector<Waiter> waiters;
    {
        std::lock_guard lock(mutex_);
        pending_ = false;
        last_error_ = std::move(why);
        waiters.swap(waiters_);
    }
    for (auto& w : waiters) {
        asio::post(w.executor, [t = std::move(w.timer)] {
            if (auto timer = t.lock()) timer->cancel();
        });
    }
}

bool JwksSource::join(const Executor& ex, const std::shared_ptr<Timer>& timer) {
    std::lock_guard lock(mutex_);
    if (!started_) return false;
    if (!pending_) {
        if (Clock::now() - last_attempt_ < options_.min_refresh) return false;
        pending_ = true;
        asio::post(background_, [self = shared_from_this()] {
            if (self->wake_) self->wake_->cancel();
        });
    }
    waiters_.push_back({ex, timer});
    return true;
}

Task<std::shared_ptr<const KeySet>> JwksSource::refresh_and_wait(config::Duration wait) {
    auto ex = co_await asio::this_coro::executor;
    auto timer = std::make_shared<Timer>(ex, wait);
    if (join(ex, timer)) co_await timer->async_wait(kTuple);
    co_return keys();
}

}  // namespace gw::middleware::auth
