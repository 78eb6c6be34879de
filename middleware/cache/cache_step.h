// The route step "cache" (last in RouteSpec::steps). On the way in it answers fresh hits
// itself (X-Cache: HIT, Age, 304 for matching conditionals), lets one miss per key go to the
// upstream while the others wait for it (collapsing), and installs a ResponseCapture so the
// upstream's answer is stored. X-Cache on every response of the route: HIT, MISS, BYPASS,
// REVALIDATED (a stored copy confirmed by a 304 from the upstream) or STALE (a stored copy
// standing in for an upstream failure).
#pragma once

#include <memory>

#include <boost/asio/any_io_executor.hpp>

#include "middleware/cache/cache_rule.h"
#include "middleware/cache/cache_stats.h"
#include "middleware/cache/shared_cache.h"
#include "middleware/step.h"
#include "server/executor.h"

namespace gw::middleware::cache {

class CacheStep : public Step {
public:
    // `store`: where entries live; null for the process' memory store (cache->memory).
    CacheStep(std::shared_ptr<const CacheRule> rule, std::shared_ptr<SharedCache> cache,
              std::shared_ptr<Store> store = nullptr);

    std::string_view name() const override { return "cache"; }
    Task<std::optional<Reply>> on_request(RequestContext& ctx, RequestHead& req) const override;
    // Bypasses and fresh hits in a store that answers at once; anything else is on_request's.
    bool try_request(RequestContext& ctx, RequestHead& req,
                     std::optional<Reply>& reply) const override;
    void on_response(RequestContext& ctx, ResponseHead& res) const override;
    bool shapes_response() const override { return true; }

private:
    struct Lookup;
    Task<EntryPtr> find(const std::string& key, const RequestHead& req) const;
    Task<std::optional<Reply>> collapse(Lookup& l, RequestContext& ctx,
                                        const RequestHead& req) const;
    std::optional<Reply> hit(const EntryPtr& e, RequestContext& ctx, const RequestHead& req,
                             SystemTime now) const;
    std::optional<Reply> bypass(RequestContext& ctx) const;
    void install_capture(Lookup& l, RequestContext& ctx, RequestHead& req,
                         const boost::asio::any_io_executor& executor) const;

    std::shared_ptr<const CacheRule> rule_;
    std::shared_ptr<SharedCache> cache_;
    std::shared_ptr<Store> store_;  // cache_->memory (aliasing cache_) or a RedisStore
    RouteCounters* counters_;  // owned by cache_->stats, never removed
};

}  // namespace gw::middleware::cache
