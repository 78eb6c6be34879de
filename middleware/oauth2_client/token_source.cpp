#include "middleware/oauth2_client/token_source.h"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/url/parse.hpp>

#include "middleware/oauth2_client/token_request.h"
#include "server/log.h"

namespace gw::middleware::oauth2_client {
namespace asio = boost::asio;

namespace {

constexpr std::chrono::seconds kWaitSlack{2};
// scheme://host/path of the token URL: what the log names (never a query string).
std::string endpoint_for_log(const std::string& url) {
    auto parsed = boost::urls::parse_uri(url);
    if (!parsed) return "token endpoint";
    return std::string(parsed->scheme()) + "://" + std::string(parsed->encoded_host_and_port()) +
           std::string(parsed->encoded_path());
}

}  // namespace

struct TokenSource::Waiter {
    explicit Waiter(const Executor& ex) : executor(ex), timer(ex) {}
    const Executor executor;
    Timer timer;               // only touched on `executor`'s thread
    TokenPtr result;           // written under the source's mutex, with done
    bool done = false;
};

TokenSource::TokenSource(config::OAuth2Client settings, Fetcher fetcher, Now now)
    : settings_(std::move(settings)),
      fetcher_(fetcher ? std::move(fetcher) : Fetcher(&server::fetch)),
      now_(now ? std::move(now) : Now(&Clock::now)),
      state_(settings_.refresh_before) {}

const Token* TokenSource::cached() {
    // `token` shares this thread's copy, which outlives it until the next get() here.
    TokenPtr token = current_.get();
    if (token && now_() < token->refresh_at) return token.get();
    return nullptr;
}

Task<TokenPtr> TokenSource::wait() {
    auto ex = co_await asio::this_coro::executor;
    std::shared_ptr<Waiter> waiter;
    TokenState::Decision decision;
    {
        std::lock_guard lock(mutex_);
        decision = state_.next(now_());
        if (!decision.token && !decision.failed) {
            waiter = std::make_shared<Waiter>(ex);
            waiters_.push_back(waiter);
        }
    }
    if (decision.fetch) start_fetch(ex);
    if (!waiter) co_return decision.token;
    // The wake-up is posted to this thread, so it cannot run before the wait below starts.
    waiter->timer.expires_after(kFetchTimeout + kWaitSlack);
    co_await waiter->timer.async_wait(kTuple);
    std::lock_guard lock(mutex_);
    if (!waiter->done) {
        std::erase(waiters_, waiter);
        co_return nullptr;
    }
    co_return waiter->result;
}

Task<std::uint64_t> TokenSource::attach(boost::beast::http::fields& request) {
    if (const Token* token = cached()) {
        request.set(boost::beast::http::field::authorization, token->header);
        co_return token->id;
    }
    TokenPtr token = co_await wait();
    if (!token) co_return 0;
    request.set(boost::beast::http::field::authorization, token->header);
    co_return token->id;
}

bool TokenSource::reject(std::uint64_t id) {
    rejections_.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(mutex_);
    bool dropped = state_.reject(id, now_());
    current_.publish(state_.current());
    return dropped;
}

void TokenSource::start_fetch(const asio::any_io_executor& ex) {
    fetches_.fetch_add(1, std::memory_order_relaxed);
    // The coroutine holds the source alive; it finishes (and wakes the waiters) on every path.
    asio::co_spawn(ex, [self = shared_from_this()]() { return self->run_fetch(); },
                   log::on_exception("oauth2 token fetch"));
}

asio::awaitable<void> TokenSource::run_fetch() {
    auto ex = co_await asio::this_coro::executor;
    GrantResult grant;
    try {
        auto request = token_request(settings_, kFetchTimeout);
        server::FetchResult result = co_await fetcher_(ex, std::move(request));
        if (result.error)
            grant.error = "token endpoint unreachable: " + result.what;
        else
            grant = parse_token_response(result.response);
    } catch (const std::exception& e) {
        grant.error = std::string("token fetch failed: ") + e.what();
    }
    TokenPtr token = finish(grant);
    (token ? fetched_ : failed_).fetch_add(1, std::memory_order_relaxed);
    std::string endpoint = endpoint_for_log(settings_.token_url);
    if (token)
        log::info("upstream token fetched",
                  {{"token_url", endpoint},
                   {"expires_in", std::to_string(grant.grant->lifetime.count())}});
    else
        log::warn("upstream token fetch failed",
                  {{"token_url", endpoint}, {"error", grant.error}});
}

TokenPtr TokenSource::finish(const GrantResult& grant) {
    TokenPtr token;
    std::vector<std::shared_ptr<Waiter>> waiters;
    {
        std::lock_guard lock(mutex_);
        auto now = now_();
        if (grant.grant)
            token = state_.succeeded(grant.grant->access_token, grant.grant->lifetime, now);
        else
            state_.failed(now);
        current_.publish(state_.current());
        waiters.swap(waiters_);
        for (auto& w : waiters) {
            w->result = token;
            w->done = true;
        }
    }
    // Each waiter goes to its own thread by move: its timer must be destroyed there, never
    // here, where that thread's io_context may already be gone (found by ASan).
    for (auto& w : waiters) {
        const Executor ex = w->executor;
        asio::post(ex, [w = std::move(w)] { w->timer.cancel(); });
    }
    return token;
}

}  // namespace gw::middleware::oauth2_client
