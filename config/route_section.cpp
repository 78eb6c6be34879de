// routes: — what the gateway exposes. This file checks each route on its own (keys, names,
// references); ordering, path templates, regexes and conflicts are RouteTable::build's job.
#include "config/access_sections.h"
#include "config/sections.h"
#include "config/suggest.h"
#include "config/text.h"

namespace gw::config {
namespace {

constexpr std::uint64_t kMinStatus = 100;
constexpr std::uint64_t kMaxStatus = 599;

std::vector<std::string> names_of(const UpstreamMap& upstreams) {
    std::vector<std::string> names;
    for (const auto& [name, upstream] : upstreams) names.push_back(name);
    return names;
}

void resolve_upstream(const Context& ctx, const Scalar& s, const UpstreamMap& upstreams,
                      RouteSpec& spec) {
    auto it = upstreams.find(s.text);
    if (it == upstreams.end()) {
        ctx.errors.add(s.mark, s.path, "unknown upstream '" + s.text + "'" +
                                           did_you_mean(s.text, names_of(upstreams)));
        return;
    }
    spec.upstream = it->second;
}

Respond parse_respond(const Context& ctx, const Value& v) {
    MapReader r(ctx, v, {{"status", "headers", "body"}, {}});
    Respond out;
    if (auto n = r.uint("status", kMinStatus, kMaxStatus)) out.status = static_cast<unsigned>(*n);
    if (auto h = r.find("headers")) out.headers = read_header_map(ctx, *h);
    if (auto b = r.string("body")) out.body = *b;
    return out;
}

void parse_rewrite(const Context& ctx, const Value& v, Rewrite& out) {
    MapReader r(ctx, v, {{"path", "strip_prefix"}, {}});
    if (r.has("path") && r.has("strip_prefix")) {
        ctx.error(v.node, v.path, "give either 'path' or 'strip_prefix', not both");
        return;
    }
    for (const char* key : {"path", "strip_prefix"}) {
        auto s = r.scalar(key);
        if (!s) continue;
        if (s->text.empty() || s->text.front() != '/') {
            ctx.errors.add(s->mark, s->path, "expected a path starting with '/', got '" +
                                                 s->text + "'");
            continue;
        }
        (std::string_view(key) == "path" ? out.path : out.strip_prefix) = s->text;
    }
}

// name: required, and unique over all files.
void parse_name(const Context& ctx, const MapReader& r, NameMarks& names, RouteSpec& spec) {
    if (!r.require("name")) return;
    auto s = r.scalar("name");
    if (!s) return;
    if (s->text.empty()) {
        ctx.errors.add(s->mark, s->path, "expected a non-empty name");
        return;
    }
    auto [it, inserted] = names.emplace(s->text, s->mark);
    if (!inserted) {
        ctx.errors.add(s->mark, s->path, "route '" + s->text + "' is already defined at " +
                                             it->second.str());
    }
    spec.name = s->text;
}

// Exactly one of upstream: and respond: says who answers.
void parse_target(const Context& ctx, const MapReader& r, const UpstreamMap& upstreams,
                  RouteSpec& spec) {
    if (r.has("upstream") == r.has("respond")) {
        ctx.error(r.value().node, r.value().path,
                  "give exactly one of 'upstream' and 'respond'");
        return;
    }
    if (auto s = r.scalar("upstream")) resolve_upstream(ctx, *s, upstreams, spec);
    if (auto v = r.find("respond")) spec.respond = parse_respond(ctx, *v);
}

std::optional<RouteSpec> parse_route(const Context& ctx, const Value& v,
                                     const UpstreamMap& upstreams, const AccessTables& access,
                                     NameMarks& names) {
    std::size_t errors_before = ctx.errors.size();
    MapReader r(ctx, v, {{"name", "match", "upstream", "respond", "rewrite", "timeout",
                          "headers", "auth", "allow", "ip", "rate_limit", "cache", "cors"},
                         {}});
    if (!r.valid()) return std::nullopt;
    RouteSpec spec;
    spec.key = v.path;
    spec.mark = ctx.mark(v.node);
    parse_name(ctx, r, names, spec);
    if (r.require("match")) parse_match(ctx, *r.find("match"), spec);
    parse_target(ctx, r, upstreams, spec);
    if (auto w = r.find("rewrite")) parse_rewrite(ctx, *w, spec.rewrite);
    if (auto d = r.duration("timeout", true)) spec.timeout = *d;
    if (auto h = r.find("headers")) parse_route_headers(ctx, *h, spec);
    parse_route_access(ctx, r, access, spec);
    if (auto c = r.find("cors")) parse_route_cors(ctx, *c, spec);  // goes in after "ip"
    // After ip, auth and allow: a limit keyed by consumer needs the identity auth found.
    if (auto l = r.find("rate_limit")) parse_rate_limit(ctx, *l, spec);
    if (auto c = r.find("cache")) parse_route_cache(ctx, *c, spec);  // last step: after auth
    // A route with errors is not handed to the route table: its half-filled fields would only
    // add confusing follow-up errors there.
    if (ctx.errors.size() != errors_before) return std::nullopt;
    return spec;
}

}  // namespace

void parse_routes(const Context& ctx, const Value& v, const UpstreamMap& upstreams,
                  const AccessTables& access, NameMarks& names, std::vector<RouteSpec>& out) {
    for (const auto& item : read_list(ctx, v)) {
        if (auto spec = parse_route(ctx, item, upstreams, access, names))
            out.push_back(std::move(*spec));
    }
}

}  // namespace gw::config
