// cache: (top level, the memory store's budget) and a route's cache: section, compiled into
// the route's "cache" step (middleware/cache/) with its store: the process' memory store, or
// a RedisStore on the top-level redis: section (store: redis).
#include <algorithm>

#include "config/sections.h"
#include "config/text.h"
#include "middleware/cache/cache_step.h"
#include "middleware/cache/redis_store.h"
#include "middleware/registry.h"

namespace gw::config {
namespace {

std::vector<std::string> read_vary(const Context& ctx, const Value& v) {
    auto names = read_header_names(ctx, v);
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    return names;
}

}  // namespace

void parse_cache_settings(const Context& ctx, const Value& v, CacheSettings& out) {
    if (v.node.IsNull()) return;
    MapReader r(ctx, v, {{"max_bytes"}, {}});
    if (auto n = r.size("max_bytes", true)) out.max_bytes = *n;
}

void parse_route_cache(const Context& ctx, const Value& v, RouteSpec& spec) {
    MapReader r(ctx, v, {{"ttl", "store", "vary", "max_body", "shared", "stale_if_error"}, {}});
    if (!r.valid()) return;
    auto rule = std::make_shared<middleware::cache::CacheRule>();
    rule->route = spec.name;
    if (auto d = r.duration("ttl")) rule->ttl = *d;
    auto cache = middleware::cache::shared_cache(*ctx.registry);
    std::shared_ptr<middleware::cache::Store> store;  // null: the memory store
    if (auto kind = r.one_of("store", {"memory", "redis"}); kind && *kind == "redis") {
        if (const RedisConfig* redis = require_redis(ctx, *r.scalar("store"))) {
            store = std::make_shared<middleware::cache::RedisStore>(
                *redis, std::shared_ptr<middleware::cache::RedisStoreStats>(
                            cache, &cache->redis_stats));
        }
    }
    if (auto vary = r.find("vary")) rule->vary = read_vary(ctx, *vary);
    if (auto n = r.size("max_body", true)) rule->max_body = *n;
    if (auto b = r.boolean("shared")) rule->shared = *b;
    if (auto d = r.duration("stale_if_error")) rule->stale_if_error = *d;
    if (spec.respond) {
        ctx.error(v.node, v.path, "only routes with an upstream are cached (respond: answers "
                                  "come from the configuration already)");
        return;
    }
    spec.steps.push_back(std::make_shared<middleware::cache::CacheStep>(
        std::move(rule), std::move(cache), std::move(store)));
}

}  // namespace gw::config
