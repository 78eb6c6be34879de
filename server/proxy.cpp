// The proxy step: picks a target, runs attempts until one answers or the retry policy stops,
// and turns the last failure into the gateway's error answer.
#include "server/proxy.h"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include "config/text.h"
#include "server/error_response.h"
#include "server/local_answer.h"
#include "server/log.h"
#include "server/proxy_exchange.h"
#include "server/session.h"

namespace gw::server {
namespace {

using namespace proxy_detail;

template <class Down>
Task<void> send_continue(Down& down) {
    static constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
    co_await asio::async_write(down, asio::buffer(kContinue, sizeof kContinue - 1), kTuple);
}

// The request body failed before (or while) it was sent: answer the client if it still listens.
template <class Down>
Task<bool> fail_before_upstream(Down& down, RequestContext& ctx, Stage st, unsigned version) {
    if (st == Stage::body_too_large)
        co_return co_await send_error(down, ctx, GatewayError::payload_too_large, version,
                                      kClose);
    if (st == Stage::bad_body)
        co_return co_await send_error(down, ctx, GatewayError::bad_request, version, kClose);
    ctx.status = 499;  // the client went away before an answer
    co_return false;
}

// The upstream gave no usable answer: the error, unless the response observer has a stand-in
// (a stale cached copy, stale_if_error).
template <class Down>
Task<bool> fail_upstream(Down& down, RequestContext& ctx, GatewayError e, unsigned version,
                         bool keep_alive, bool head_request) {
    if (ctx.response_observer && ctx.response_observer->on_failure())
        co_return co_await send_reply(down, ctx, ctx.response_observer->replacement(), version,
                                      keep_alive, head_request);
    co_return co_await send_error(down, ctx, e, version, keep_alive);
}

// What one request's attempts share: the client side, the relay buffer, the retry state.
template <class Down>
struct Call {
    Down& down;
    beast::flat_buffer& down_buffer;
    RequestParser& parser;
    UpstreamHead& head;  // the request as the upstream gets it
    RequestContext& ctx;
    Worker& worker;
    char* buf;
    std::size_t preread;
    config::Duration timeout;  // per attempt
    unsigned version;
    bool keep_alive;
    bool stale_retry;  // a pooled connection found closed may be retried on a fresh one
    KeptBody kept;
    RetryGate gate;
    SentToken token;  // the upstream's OAuth2 token, when it has oauth2 credentials
};

// One attempt at one target over a pooled or new connection.
struct Attempt {
    UpstreamConnectionPtr conn;  // null: connecting failed
    boost::system::error_code connect_error;
    Exchange ex{Stage::send_failed};
};

// Not a coroutine itself: one frame fewer per attempt.
template <class Down>
Task<Exchange> exchange_on(Call<Down>& c, UpstreamConnection& conn) {
    return exchange_over(c.down, c.down_buffer, c.parser, c.head, conn, c.buf, c.preread, c.ctx,
                         c.timeout, c.version, c.keep_alive, c.kept, c.gate, c.token);
}

void log_token_unavailable(const RequestContext& ctx) {
    log::warn("upstream token unavailable", {{"upstream", ctx.match.route->spec.upstream->name},
                                             {"request_id", ctx.request_id}});
}

// The next attempt sends the kept body (read completely) again, in one write.
template <class Down>
void replay_kept_body(Call<Down>& c) {
    if (!c.kept.has_body()) return;
    c.kept.replay = true;
    c.head.replay(c.kept.data().size());
}

// A pooled connection the upstream had already closed, or a token the upstream refused: the
// attempt is not over (rare; follow_up finishes it).
template <class Down>
bool needs_follow_up(const Call<Down>& c, const Attempt& a) {
    return a.ex.stage == Stage::token_rejected ||
           (a.ex.stage == Stage::send_failed && a.ex.reset && a.conn->reused && c.stale_retry);
}

template <class Down>
Task<void> follow_up(Call<Down>& c, const config::Target& target, Attempt& a) {
    const auto& upstream = c.ctx.match.route->spec.upstream;
    if (a.ex.stage == Stage::send_failed) {
        // A pooled connection the upstream had already closed: one fresh try, not counted as
        // a retry (the upstream never saw the request).
        a.conn = co_await c.worker.pool().connect(upstream, target, a.connect_error);
        if (a.conn) a.ex = co_await exchange_on(c, *a.conn);
    }
    if (a.conn && a.ex.stage == Stage::token_rejected) {
        // The upstream refused the token (dropped by now): once more with a new one and the
        // kept body, if any; that answer, a 401 too or not, goes to the caller.
        c.token.retry = false;
        replay_kept_body(c);
        c.token.id = co_await c.token.source->attach(c.parser.get());
        if (c.token.id == 0) {
            log_token_unavailable(c.ctx);
            a.ex = Exchange{Stage::upstream_error};
            co_return;
        }
        a.conn = co_await c.worker.pool().acquire(upstream, target, false, a.connect_error);
        if (a.conn) a.ex = co_await exchange_on(c, *a.conn);
    }
}

// A failure the retry policy may act on; nullopt when the attempt answered, or failed in a way
// no retry can mend (the client left, the answer was already half relayed).
std::optional<Failure> failure_of(const Attempt& a) {
    if (!a.conn) return Failure::connect_failure;
    switch (a.ex.stage) {
        case Stage::send_failed:
        case Stage::upstream_error: return Failure::reset;
        case Stage::upstream_timeout: return Failure::timeout;
        default: return std::nullopt;
    }
}

// What the attempt tells the target's breaker and passive health marking. A failure is a
// connect error, a reset, a timeout or a 502/503/504 answer.
Outcome outcome_of(const Attempt& a, unsigned status) {
    if (!a.conn) return Outcome::failure;
    switch (a.ex.stage) {
        case Stage::done:
        case Stage::retry_status:
            return status == 502 || status == 503 || status == 504 ? Outcome::failure
                                                                   : Outcome::success;
        case Stage::send_failed:
        case Stage::upstream_error:
        case Stage::upstream_timeout:
        case Stage::response_broken: return Outcome::failure;
        default: return Outcome::neutral;
    }
}

void record_outcome(const config::Upstream& up, const config::Target& t, Outcome outcome,
                    Nanos now) {
    if (!t.state) return;
    t.state->record(outcome, up.circuit_breaker ? &*up.circuit_breaker : nullptr,
                    up.health_check ? &*up.health_check : nullptr, now);
}

// A target whose circuit lets this request through, or Balancer::kNone when none does.
std::size_t pick_admitted(Balancer& balancer, const std::shared_ptr<const config::Upstream>& up,
                          Balancer::Mask tried, Nanos now) {
    const config::BreakerPolicy* policy = up->circuit_breaker ? &*up->circuit_breaker : nullptr;
    for (std::size_t n = 0; n < up->targets.size(); ++n) {
        std::size_t i = balancer.pick(up, tried, now);
        if (i == Balancer::kNone) return i;
        const auto& state = up->targets[i].state;
        // A refused target has its deadline moved on by the winner of the probe: the next
        // pick skips it.
        if (!state || state->admit(policy, now) != TargetState::Admit::refuse) return i;
    }
    return Balancer::kNone;
}

template <class Down>
bool should_retry(Call<Down>& c, const Attempt& a) {
    if (a.ex.stage == Stage::retry_status) return true;  // the exchange asked the gate already
    auto failure = failure_of(a);
    return failure && c.kept.replayable(c.parser) &&
           c.gate.allow(*failure, 0, {}, steady_nanos());
}

// Why an attempt failed, for the log.
std::string failure_text(const Attempt& a, unsigned status) {
    if (a.ex.stage == Stage::retry_status) return "status " + std::to_string(status);
    return !a.conn ? a.connect_error.message() : a.ex.error.message();
}

// Counts and logs the retry, waits the backoff (or Retry-After), and sets the kept body up to
// be sent again.
template <class Down>
Task<void> before_retry(Call<Down>& c, const Attempt& a) {
    const auto& up = *c.ctx.match.route->spec.upstream;
    c.worker.metrics().record_retry(up.name);
    log::info("retrying upstream request",
              {{"upstream", up.name}, {"target", c.ctx.upstream_target},
               {"request_id", c.ctx.request_id}, {"after", failure_text(a, c.ctx.status)},
               {"wait_ms", std::to_string(c.gate.wait().count())}});
    Timer timer(co_await asio::this_coro::executor);
    timer.expires_after(c.gate.wait());
    co_await timer.async_wait(kTuple);
    replay_kept_body(c);
}

// Answers the client from the last attempt: its relayed answer, or the gateway's error.
template <class Down>
Task<bool> conclude(Call<Down>& c, Attempt& a) {
    auto& ctx = c.ctx;
    const auto& upstream = ctx.match.route->spec.upstream;
    const bool head_request = c.parser.get().method() == http::verb::head;
    if (!a.conn) {
        auto e = a.connect_error == beast::error::timeout ? GatewayError::upstream_timeout
                                                          : GatewayError::upstream_unavailable;
        log::warn("upstream connect failed", {{"upstream", upstream->name},
                                              {"target", ctx.upstream_target},
                                              {"request_id", ctx.request_id},
                                              {"error", a.connect_error.message()}});
        co_return co_await fail_upstream(c.down, ctx, e, c.version, kClose, head_request);
    }
    switch (a.ex.stage) {
        case Stage::done:
            if (a.ex.upstream_reusable) c.worker.pool().release(std::move(a.conn), *upstream);
            co_return a.ex.down_keep_alive;
        case Stage::send_failed:
        case Stage::upstream_error:
        case Stage::retry_status:  // not reached: a dropped answer is always retried
        case Stage::token_rejected:  // not reached: attempt() sends it again
            log::warn("upstream failed", {{"upstream", upstream->name},
                                          {"target", ctx.upstream_target},
                                          {"request_id", ctx.request_id},
                                          {"reused", a.conn->reused ? "true" : "false"},
                                          {"error", a.ex.error.message()}});
            co_return co_await fail_upstream(c.down, ctx, GatewayError::upstream_unavailable,
                                             c.version, kClose, head_request);
        case Stage::upstream_timeout:
            co_return co_await fail_upstream(c.down, ctx, GatewayError::upstream_timeout,
                                             c.version, kClose, head_request);
        case Stage::replaced:
            if (a.ex.upstream_reusable) c.worker.pool().release(std::move(a.conn), *upstream);
            co_return co_await send_reply(c.down, ctx, ctx.response_observer->replacement(),
                                          c.version, a.ex.down_keep_alive, head_request);
        case Stage::body_too_large:
        case Stage::bad_body:
            co_return co_await fail_before_upstream(c.down, ctx, a.ex.stage, c.version);
        case Stage::client_error:
        case Stage::response_broken:
            if (ctx.status == 0) ctx.status = 499;  // client closed before an answer
            co_return false;
    }
    co_return false;
}

Nanos to_nanos(config::Duration d) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
}

}  // namespace

template <class Stream>
Task<bool> proxy_request(Stream& down, beast::flat_buffer& down_buffer, RequestParser& parser,
                         RequestContext& ctx, Worker& worker, bool peer_trusted, bool keep_alive) {
    const auto& upstream = ctx.match.route->spec.upstream;
    auto& req = parser.get();
    unsigned version = req.version() == 10 ? 10 : 11;
    bool has_body = !parser.is_done();
    Nanos now = steady_nanos();
    Balancer& balancer = worker.balancer();
    std::size_t index = pick_admitted(balancer, upstream, 0, now);
    if (index == Balancer::kNone)  // every circuit is open: fail fast, call no one
        co_return co_await fail_upstream(down, ctx, GatewayError::circuit_open, version,
                                         keep_alive && !has_body,
                                         req.method() == http::verb::head);
    bool expect_continue = has_body && version == 11 &&
                           config::iequals(req[http::field::expect], "100-continue");
    UpstreamHead head;
    auto length = parser.content_length();
    head.prepare(req, HopInfo{ctx.peer_ip, peer_trusted, ctx.tls, ctx.request_id},
                 ctx.match.route->spec.request_headers, upstream->credentials, parser.chunked(),
                 length ? std::optional<std::uint64_t>(*length) : std::nullopt);
    point_at(head, ctx, *upstream, upstream->targets[index]);
    const auto& policy = upstream->retry;
    RetryBudget* budget = nullptr;
    if (policy.attempts > 1 && method_retried(policy, req.method_string())) {
        budget = &balancer.budget(upstream);
        budget->record_request(now);
    }
    auto timeout = ctx.match.route->spec.timeout.value_or(upstream->response_timeout);
    auto buf = worker.buffers().take();
    Call<Stream> c{down, down_buffer, parser, head, ctx, worker, buf.get(), 0,
                   policy.per_try_timeout.value_or(timeout), version, keep_alive,
                   !has_body && idempotent(req.method()),
                   // Kept for retries, and for a resend after the upstream refuses an
                   // OAuth2 token (bounded by kMaxRetryBody either way).
                   KeptBody(budget != nullptr || upstream->credentials.token_source, has_body,
                            parser.content_length()),
                   RetryGate(policy, budget, now + to_nanos(timeout),
                             static_cast<std::uint64_t>(now)),
                   SentToken{}};
    if (auto* source = upstream->credentials.token_source.get()) {
        // Sent again after the upstream refuses the token, if its body (if any) was kept.
        // (Not in a braced initialiser: g++ 12 has been unreliable with co_await in one.)
        c.token.source = source;
        c.token.retry = true;
        c.token.id = co_await source->attach(req);
        if (c.token.id == 0) {
            log_token_unavailable(ctx);
            co_return co_await send_error(down, ctx, GatewayError::upstream_unavailable, version,
                                          kClose);
        }
    }
    balancer.begin(upstream, index);
    if (has_body) {
        if (expect_continue) co_await send_continue(down);
        Stage st = co_await read_body_piece(down, down_buffer, parser, c.buf, c.preread,
                                            ctx.config->server.limits);
        if (st != Stage::done) {
            balancer.end(upstream, index);
            co_return co_await fail_before_upstream(down, ctx, st, version);
        }
    }
    // Attempts until one answers or the retry policy stops: in this frame, not one of their own.
    Balancer::Mask tried = 0;
    for (unsigned n = 1;; ++n) {
        const config::Target& target = upstream->targets[index];
        c.ctx.upstream_target = target.authority;
        c.ctx.status = 0;
        c.gate.arm(n);
        // One attempt at one target over a pooled or new connection; written out here rather
        // than as a coroutine of its own (one frame fewer per request).
        Attempt a;
        a.conn = c.worker.pool().take_idle(upstream, target, c.stale_retry);
        if (!a.conn) a.conn = co_await c.worker.pool().connect(upstream, target, a.connect_error);
        if (a.conn) {
            a.ex = co_await exchange_on(c, *a.conn);
            if (needs_follow_up(c, a)) co_await follow_up(c, target, a);
        }
        balancer.end(upstream, index);
        record_outcome(*upstream, target, outcome_of(a, c.ctx.status), steady_nanos());
        if (!should_retry(c, a)) {
            if (a.conn && a.ex.stage == Stage::done) {  // the common end, without a frame
                if (a.ex.upstream_reusable) c.worker.pool().release(std::move(a.conn), *upstream);
                co_return a.ex.down_keep_alive;
            }
            co_return co_await conclude(c, a);
        }
        co_await before_retry(c, a);
        if (index < 64) tried |= Balancer::Mask{1} << index;
        index = pick_admitted(balancer, upstream, tried, steady_nanos());
        if (index == Balancer::kNone)
            co_return co_await fail_upstream(c.down, c.ctx, GatewayError::circuit_open,
                                             c.version, kClose,
                                             c.parser.get().method() == http::verb::head);
        point_at(c.head, c.ctx, *upstream, upstream->targets[index]);
        balancer.begin(upstream, index);
    }
}

template Task<bool> proxy_request<PlainStream>(PlainStream&, beast::flat_buffer&, RequestParser&,
                                               RequestContext&, Worker&, bool, bool);
template Task<bool> proxy_request<TlsStream>(TlsStream&, beast::flat_buffer&, RequestParser&,
                                             RequestContext&, Worker&, bool, bool);

}  // namespace gw::server
