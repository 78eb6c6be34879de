// A route's `rate_limit:` list: each entry becomes a compiled rate_limit::Limit with its store
// (the process' local store from the Registry, so a reload keeps the counts; or a RedisStore
// of its own for store: redis, whose counts live in Redis) and decision counters taken from
// the Registry, and the route gets one "rate_limit" step holding them all.
#include <boost/container_hash/hash.hpp>

#include "config/sections.h"
#include "config/suggest.h"
#include "config/text.h"
#include "middleware/rate_limit/rate_limit_state.h"
#include "middleware/rate_limit/redis_gcra.h"
#include "middleware/rate_limit/redis_store.h"
#include "middleware/rate_limit/rate_limit_step.h"
#include "middleware/registry.h"

namespace gw::config {
namespace {

namespace rl = middleware::rate_limit;

constexpr std::uint64_t kMaxCount = 1'000'000'000;  // limit and burst

// key: ip | consumer | route | header:NAME. Fills kind/header and the canonical text.
bool parse_key(const Context& ctx, const Scalar& s, rl::Limit& out, std::string& text) {
    static const std::vector<std::string> kWords = {"ip", "consumer", "route", "header:"};
    constexpr std::string_view kHeader = "header:";
    if (s.text.rfind(kHeader, 0) == 0) {
        std::string name = s.text.substr(kHeader.size());
        if (!is_token(name)) {
            ctx.errors.add(s.mark, s.path, "expected a header name after 'header:', got '" +
                                               name + "'");
            return false;
        }
        out.kind = rl::KeyKind::header;
        out.header = to_lower(name);
        text = "header:" + out.header;
        return true;
    }
    if (s.text == "ip" || s.text == "consumer" || s.text == "route") {
        out.kind = s.text == "ip"         ? rl::KeyKind::ip
                   : s.text == "consumer" ? rl::KeyKind::consumer
                                          : rl::KeyKind::route;
        text = s.text;
        return true;
    }
    ctx.errors.add(s.mark, s.path, "expected ip | consumer | route | header:NAME, got '" +
                                       s.text + "'" + did_you_mean(s.text, kWords));
    return false;
}

// store: local (default) | redis. Sets `redis` for store: redis, which needs the top-level
// redis: section. False on an error.
bool parse_store(const Context& ctx, const MapReader& r, const RedisConfig*& redis) {
    auto store = r.one_of("store", {"local", "redis"});
    if (!store) return !r.has("store");
    if (*store == "redis") {
        redis = require_redis(ctx, *r.scalar("store"));
        return redis != nullptr;
    }
    return true;
}

std::uint64_t identity_of(const std::string& route, const std::string& key,
                          const rl::Limit& l) {
    std::size_t h = 0;
    boost::hash_combine(h, route);
    boost::hash_combine(h, key);
    boost::hash_combine(h, l.limit);
    boost::hash_combine(h, l.window.count());
    boost::hash_combine(h, l.burst);
    return h;
}

// A limit before its store and stats are attached (they come from the Registry).
struct ParsedLimit {
    rl::Limit limit;
    std::string key_text;                 // canonical `key:`, e.g. "header:x-api-key"
    const RedisConfig* redis = nullptr;   // store: redis
};

std::optional<ParsedLimit> parse_limit(const Context& ctx, const Value& v,
                                       const std::string& route) {
    MapReader r(ctx, v, {{"key", "limit", "window", "burst", "store"}, {}});
    if (!r.valid()) return std::nullopt;
    ParsedLimit out;
    rl::Limit& l = out.limit;
    std::string& key_text = out.key_text;
    bool ok = r.require("key") & r.require("limit") & r.require("window");
    if (auto s = r.scalar("key")) ok &= parse_key(ctx, *s, l, key_text);
    auto limit = r.uint("limit", 1, kMaxCount);
    auto window = r.duration("window", true);
    auto burst = r.uint("burst", 1, kMaxCount);
    ok &= parse_store(ctx, r, out.redis);
    if (!ok || !limit || !window || (r.has("burst") && !burst)) return std::nullopt;
    l.limit = *limit;
    l.window = *window;
    l.burst = burst ? *burst : *limit;
    if (!rl::rate_is_representable(l.limit, l.window, l.burst)) {
        ctx.error(v.node, v.path, "limit/window/burst out of range: window / limit must be at "
                                  "least 1ns and burst * window / limit under 146 years");
        return std::nullopt;
    }
    l.rate = rl::make_rate(l.limit, l.window, l.burst);
    l.id = identity_of(route, key_text, l);
    l.label = key_text + " " + std::to_string(l.limit) + "/" + r.scalar("window")->text;
    if (burst) l.label += " burst " + std::to_string(*burst);
    return out;
}

void attach_store(rl::RateLimitState& state, const std::string& route, ParsedLimit& p) {
    rl::Limit& l = p.limit;
    l.stats = state.stats_for(route, l.label, p.redis != nullptr);
    if (p.redis == nullptr) {
        l.store = state.local_store();
        return;
    }
    l.store = std::make_shared<rl::RedisStore>(
        *p.redis, rl::redis_key_prefix(route, p.key_text, l), l, l.stats);
}

}  // namespace

void parse_rate_limit(const Context& ctx, const Value& v, RouteSpec& spec) {
    std::vector<ParsedLimit> parsed;
    std::vector<std::string> paths;
    for (const auto& item : read_list(ctx, v)) {
        auto l = parse_limit(ctx, item, spec.name);
        if (!l) continue;
        for (std::size_t i = 0; i < parsed.size(); ++i) {
            // Two equal limits would share one set of counters and count every request twice.
            if (parsed[i].limit.id == l->limit.id)
                ctx.error(item.node, item.path, "the same limit as " + paths[i]);
        }
        parsed.push_back(std::move(*l));
        paths.push_back(item.path);
    }
    if (parsed.empty() || !ctx.registry) return;
    auto state = ctx.registry->state<rl::RateLimitState>("rate_limit");
    ctx.registry->add_metrics("rate_limit",
                              [state](std::string& out) { state->render_metrics(out); });
    std::vector<rl::Limit> limits;
    for (auto& p : parsed) {
        attach_store(*state, spec.name, p);
        limits.push_back(std::move(p.limit));
    }
    spec.steps.push_back(rl::make_rate_limit_step(std::move(limits)));
}

}  // namespace gw::config
