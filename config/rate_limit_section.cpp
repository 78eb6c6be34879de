// A route's `rate_limit:` list: each entry becomes a compiled rate_limit::Limit with its store
// and decision counters taken from the Registry (so a reload keeps them), and the route gets
// one "rate_limit" step holding them all.
#include <boost/container_hash/hash.hpp>

#include "config/sections.h"
#include "config/suggest.h"
#include "config/text.h"
#include "middleware/rate_limit/rate_limit_state.h"
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

// store: local (default) | redis; redis is refused until the Redis store exists.
bool parse_store(const Context& ctx, const MapReader& r) {
    auto store = r.one_of("store", {"local", "redis"});
    if (!store) return !r.has("store");
    if (*store == "redis") {
        auto s = r.scalar("store");
        ctx.errors.add(s->mark, s->path, "store 'redis' is not supported yet (use local)");
        return false;
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

std::optional<rl::Limit> parse_limit(const Context& ctx, const Value& v,
                                     const std::string& route) {
    MapReader r(ctx, v, {{"key", "limit", "window", "burst", "store"}, {}});
    if (!r.valid()) return std::nullopt;
    rl::Limit l;
    std::string key_text;
    bool ok = r.require("key") & r.require("limit") & r.require("window");
    if (auto s = r.scalar("key")) ok &= parse_key(ctx, *s, l, key_text);
    auto limit = r.uint("limit", 1, kMaxCount);
    auto window = r.duration("window", true);
    auto burst = r.uint("burst", 1, kMaxCount);
    ok &= parse_store(ctx, r);
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
    return l;
}

}  // namespace

void parse_rate_limit(const Context& ctx, const Value& v, RouteSpec& spec) {
    std::vector<rl::Limit> limits;
    std::vector<std::string> paths;
    for (const auto& item : read_list(ctx, v)) {
        auto l = parse_limit(ctx, item, spec.name);
        if (!l) continue;
        for (std::size_t i = 0; i < limits.size(); ++i) {
            // Two equal limits would share one set of counters and count every request twice.
            if (limits[i].id == l->id)
                ctx.error(item.node, item.path, "the same limit as " + paths[i]);
        }
        limits.push_back(std::move(*l));
        paths.push_back(item.path);
    }
    if (limits.empty() || !ctx.registry) return;
    auto state = ctx.registry->state<rl::RateLimitState>("rate_limit");
    ctx.registry->add_metrics("rate_limit",
                              [state](std::string& out) { state->render_metrics(out); });
    for (auto& l : limits) {
        l.store = state->local_store();
        l.stats = state->stats_for(spec.name, l.label);
    }
    spec.steps.push_back(rl::make_rate_limit_step(std::move(limits)));
}

}  // namespace gw::config
