// The access token of an upstream with `credentials: { type: oauth2_client_credentials }`:
// fetched from the token endpoint, cached until shortly before expiry, refreshed by one fetch
// for all workers (single flight), dropped when the upstream answers 401.
//
// One TokenSource per distinct setting (token URL, client, scopes, audience, auth method,
// refresh_before, tls, secret digest), handed out by TokenSources (token_sources.h), which
// lives in middleware::Registry: a reload with the same settings keeps the token; a rotated
// secret makes a new source.
//
// Threads:
// - cached() is the hot path, on any worker thread: the current token is a SharedSnapshot
//   (each thread keeps its own copy, re-read under a mutex only after a new token or a drop
//   is published). So the usual request costs one atomic load and a clock read: no lock, no
//   reference count shared between cores.
// - wait() is the slow path (no token yet, refresh due, token dropped), on a worker thread:
//   under the mutex it asks TokenState what to do. The first caller that must fetch spawns
//   the fetch coroutine on its own executor (so it outlives that request); every caller that
//   must wait parks on a timer of its own executor, and the fetch, when it ends, posts the
//   timer's cancel to each waiter's executor: nobody blocks a worker thread, and a timer is
//   only touched by the thread that made it. The timer also bounds the wait (fetch timeout
//   plus slack), so a lost wake-up cannot hang a request.
// - reject() on a worker thread, under the mutex. Whatever changes the current token
//   (finish, reject) publishes it to the snapshot while holding the mutex, so the
//   snapshot is never older than state_ for a later reader.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/fields.hpp>

#include "config/types.h"
#include "middleware/shared_snapshot.h"
#include "middleware/oauth2_client/token_request.h"
#include "middleware/oauth2_client/token_state.h"
#include "server/executor.h"
#include "server/http_client.h"

namespace gw::middleware::oauth2_client {

// The whole token endpoint exchange; a waiting request gives up a little after it.
inline constexpr std::chrono::seconds kFetchTimeout{10};

class TokenSource : public std::enable_shared_from_this<TokenSource> {
public:
    using Fetcher = std::function<boost::asio::awaitable<server::FetchResult>(
        boost::asio::any_io_executor, server::FetchRequest)>;
    using Now = std::function<Time()>;

    // fetcher and now are replaced by tests; by default the real HTTP client and clock.
    explicit TokenSource(config::OAuth2Client settings, Fetcher fetcher = {}, Now now = {});
    TokenSource(const TokenSource&) = delete;
    TokenSource& operator=(const TokenSource&) = delete;

    // The token to send now, or null when the caller must co_await wait(). The pointer stays
    // valid until this thread's next call to cached() (this thread's snapshot slot holds it):
    // copy what is needed right away.
    const Token* cached();
    // A token after the fetch this request needs (shared with every other request that needs
    // it); null when none could be had (endpoint failed, or failed recently: 502).
    Task<TokenPtr> wait();
    // Sets the token as the Authorization of an upstream request (after every other header
    // rule, like any credential): cached() or else wait(). Returns the token's id, 0 when no
    // token could be had.
    Task<std::uint64_t> attach(boost::beast::http::fields& request);
    // The upstream answered 401 to token `id`: drop it (see TokenState::reject) so the next
    // cached()/wait() fetches a new one. False when the current token stays (holdoff).
    bool reject(std::uint64_t id);

    const config::OAuth2Client& settings() const { return settings_; }
    // Counters for /metrics (TokenSources::render), relaxed: fetches started, fetches that gave a
    // token or failed, upstream 401s to a token of this source.
    std::uint64_t fetches() const { return fetches_.load(std::memory_order_relaxed); }
    std::uint64_t fetched() const { return fetched_.load(std::memory_order_relaxed); }
    std::uint64_t failed() const { return failed_.load(std::memory_order_relaxed); }
    std::uint64_t rejections() const { return rejections_.load(std::memory_order_relaxed); }

private:
    struct Waiter;
    void start_fetch(const boost::asio::any_io_executor& ex);
    boost::asio::awaitable<void> run_fetch();
    // Records the fetch's outcome and wakes every waiter; returns the new token, if any.
    TokenPtr finish(const GrantResult& grant);

    const config::OAuth2Client settings_;
    const Fetcher fetcher_;
    const Now now_;

    std::mutex mutex_;  // guards state_ and waiters_
    TokenState state_;
    std::vector<std::shared_ptr<Waiter>> waiters_;
    SharedSnapshot<Token> current_;  // state_.current() as the workers read it
    std::atomic<std::uint64_t> fetches_{0};
    std::atomic<std::uint64_t> fetched_{0};
    std::atomic<std::uint64_t> failed_{0};
    std::atomic<std::uint64_t> rejections_{0};
};

}  // namespace gw::middleware::oauth2_client
