#include "middleware/cache/cache_step.h"

#include <boost/asio/this_coro.hpp>

#include "middleware/cache/cache_control.h"
#include "middleware/cache/cache_key.h"
#include "middleware/cache/cache_reply.h"
#include "middleware/cache/response_capture.h"

namespace gw::middleware::cache {
namespace {
namespace http = boost::beast::http;
using Clock = std::chrono::system_clock;
}  // namespace

struct CacheStep::Lookup {
    std::string key;
    EntryPtr entry;      // what the store holds for the request (fresh or not), or null
    FlightLease lease;   // held while this request leads the key's flight
    bool conditional = false;  // the client sent its own validators
};

CacheStep::CacheStep(std::shared_ptr<const CacheRule> rule, std::shared_ptr<SharedCache> cache,
                     std::shared_ptr<Store> store)
    : rule_(std::move(rule)), cache_(std::move(cache)),
      store_(store ? std::move(store) : std::shared_ptr<Store>(cache_, &cache_->memory)),
      counters_(&cache_->stats.route(rule_->route)) {}

Task<EntryPtr> CacheStep::find(const std::string& key, const RequestHead& req) const {
    EntryPtr e = co_await await_erased(store_->get(key));
    if (e && e->vary_marker) e = co_await await_erased(store_->get(variant_key(key, e->vary, req)));
    co_return e;
}

std::optional<Reply> CacheStep::hit(const EntryPtr& e, RequestContext& ctx,
                                    const RequestHead& req, SystemTime now) const {
    counters_->add(Outcome::hit);
    ctx.response_headers.emplace_back("x-cache", "HIT");
    return entry_reply(e, req, now, false);
}

std::optional<Reply> CacheStep::bypass(RequestContext& ctx) const {
    counters_->add(Outcome::bypass);
    ctx.response_headers.emplace_back("x-cache", "BYPASS");
    return std::nullopt;
}

bool CacheStep::try_request(RequestContext& ctx, RequestHead& req,
                            std::optional<Reply>& reply) const {
    RequestMode mode = request_mode(req);
    if (mode == RequestMode::bypass) {
        reply = bypass(ctx);
        return true;
    }
    if (mode != RequestMode::lookup) return false;
    // Nothing below changes state until the hit: a miss is left to on_request as it was.
    std::string key = primary_key(*rule_, ctx, req);
    EntryPtr e;
    if (!store_->get_at_once(key, e)) return false;
    if (e && e->vary_marker && !store_->get_at_once(variant_key(key, e->vary, req), e))
        return false;
    auto now = Clock::now();
    if (!e || !e->fresh(now)) return false;
    reply = hit(e, ctx, req, now);
    return true;
}

Task<std::optional<Reply>> CacheStep::on_request(RequestContext& ctx, RequestHead& req) const {
    RequestMode mode = request_mode(req);
    if (mode == RequestMode::bypass) co_return bypass(ctx);
    Lookup l;
    l.key = primary_key(*rule_, ctx, req);
    l.conditional = req.count(http::field::if_none_match) > 0 ||
                    req.count(http::field::if_modified_since) > 0;
    l.entry = co_await find(l.key, req);
    if (mode == RequestMode::lookup) {
        auto now = Clock::now();
        if (l.entry && l.entry->fresh(now)) co_return hit(l.entry, ctx, req, now);
        // A conditional request may be answered 304 by the upstream, which is not stored:
        // followers would wait for nothing. HEAD has no body to share.
        if (req.method() == http::verb::get && !l.conditional) {
            if (auto reply = co_await collapse(l, ctx, req)) co_return reply;
        }
    }
    counters_->add(Outcome::miss);
    ctx.response_headers.emplace_back("x-cache", "MISS");
    install_capture(l, ctx, req, co_await boost::asio::this_coro::executor);
    co_return std::nullopt;
}

// The first miss for a key leads; the others wait for its answer (bounded by the route's
// timeout) and are served the stored copy, or go upstream themselves if none was kept.
Task<std::optional<Reply>> CacheStep::collapse(Lookup& l, RequestContext& ctx,
                                               const RequestHead& req) const {
    bool leader = false;
    auto flight = cache_->flights.join(l.key, leader);
    if (!leader) {
        const auto& route = ctx.match.route->spec;
        co_await flight->wait(route.timeout.value_or(route.upstream->response_timeout));
    } else {
        l.lease = FlightLease(cache_->flights, l.key, flight);
    }
    // Look again, leaders too: a flight that ended between the first look-up and the join has
    // already stored its entry (a leader stores before it ends the flight).
    EntryPtr e = co_await find(l.key, req);
    auto now = Clock::now();
    if (e && e->fresh(now)) {
        l.lease.release();
        co_return hit(e, ctx, req, now);
    }
    if (e) l.entry = std::move(e);
    co_return std::nullopt;
}

// The capture stores what the upstream answers. With a stored copy that has validators and a
// client that sent none, the request upstream becomes conditional: a 304 then refreshes and
// serves the copy instead of transferring the body again.
void CacheStep::install_capture(Lookup& l, RequestContext& ctx, RequestHead& req,
                                const boost::asio::any_io_executor& executor) const {
    CaptureSetup s;
    s.cache = cache_;
    s.store = store_;
    s.rule = rule_;
    s.executor = executor;
    s.key = std::move(l.key);
    s.request = req;  // before the validators below: they are the cache's, not the client's
    s.path = ctx.path;
    s.unverified_authorization =
        req.count(http::field::authorization) > 0 && !ctx.identity.authenticated;
    if (l.entry && !l.entry->vary_marker && l.entry->has_validator() && !l.conditional) {
        if (!l.entry->etag.empty()) req.set(http::field::if_none_match, l.entry->etag);
        if (!l.entry->last_modified.empty())
            req.set(http::field::if_modified_since, l.entry->last_modified);
        s.revalidating = true;
    }
    s.previous = std::move(l.entry);
    s.lease = std::move(l.lease);
    ctx.response_observer = std::make_unique<ResponseCapture>(std::move(s), ctx);
}

void CacheStep::on_response(RequestContext& ctx, ResponseHead& res) const {
    // An earlier step answered (401, 429) before the cache ran.
    for (const auto& h : ctx.response_headers)
        if (h.first == "x-cache") return;
    res.set("x-cache", "BYPASS");
}

}  // namespace gw::middleware::cache
