// routes[].auth, .allow and .ip: who may use a route. Compiled here into the route's ip, auth
// and allow steps, with every name resolved, so nothing is looked up per request.
#include <algorithm>

#include "config/access_sections.h"
#include "config/net.h"
#include "config/suggest.h"
#include "middleware/auth/allow_step.h"
#include "middleware/auth/auth_step.h"
#include "middleware/ip_filter.h"
#include "middleware/registry.h"

namespace gw::config {
namespace {

using middleware::auth::RouteFailures;

std::vector<std::string> names_of(const AccessTables& access) {
    std::vector<std::string> names;
    for (const auto& [name, a] : access.authenticators) names.push_back(name);
    return names;
}

// auth: [a, b]  or  auth: { use: [a, b], forward_credentials: true }
std::optional<middleware::auth::AuthStepConfig> parse_auth(const Context& ctx, const Value& v,
                                                           const AccessTables& access) {
    middleware::auth::AuthStepConfig out;
    Value names = v;
    if (v.node.IsMap()) {
        MapReader r(ctx, v, {{"use", "forward_credentials"}, {}});
        if (!r.require("use")) return std::nullopt;
        names = *r.find("use");
        out.forward_credentials = r.boolean("forward_credentials").value_or(false);
    }
    auto list = read_string_or_list(ctx, names);
    if (list.empty()) {
        ctx.error(names.node, names.path, "expected at least one authenticator name");
        return std::nullopt;
    }
    bool ok = true;
    for (const auto& s : list) {
        auto it = access.authenticators.find(s.text);
        if (it == access.authenticators.end()) {
            ctx.errors.add(s.mark, s.path, "unknown authenticator '" + s.text + "'" +
                                               did_you_mean(s.text, names_of(access)));
            ok = false;
        } else if (std::find(out.authenticators.begin(), out.authenticators.end(),
                             it->second) != out.authenticators.end() && it->second) {
            ctx.errors.add(s.mark, s.path, "authenticator '" + s.text + "' is listed twice");
            ok = false;
        } else {
            ok = ok && it->second != nullptr;  // its own errors are already reported
            out.authenticators.push_back(it->second);
        }
    }
    if (!ok) return std::nullopt;
    out.consumers = access.consumers;
    return out;
}

// A list of names that must each be one of `known`.
std::vector<std::string> read_names(const Context& ctx, const MapReader& r, const char* key,
                                    const std::vector<std::string>& known, const char* what) {
    std::vector<std::string> out;
    auto v = r.find(key);
    if (!v) return out;
    for (auto& s : read_string_or_list(ctx, *v)) {
        if (!known.empty() && std::find(known.begin(), known.end(), s.text) == known.end()) {
            ctx.errors.add(s.mark, s.path, std::string("unknown ") + what + " '" + s.text + "'" +
                                               did_you_mean(s.text, known));
        } else if (known.empty() && s.text.empty()) {
            ctx.errors.add(s.mark, s.path, std::string("expected a ") + what);
        } else {
            out.push_back(std::move(s.text));
        }
    }
    return out;
}

std::optional<middleware::auth::AllowConfig> parse_allow(const Context& ctx, const Value& v,
                                                         const AccessTables& access) {
    MapReader r(ctx, v, {{"consumers", "groups", "scopes"}, {}});
    if (!r.valid()) return std::nullopt;
    const std::size_t errors_before = ctx.errors.size();
    middleware::auth::AllowConfig out;
    // An empty `known` list would accept anything: with no consumers defined, every name is
    // unknown.
    static const std::vector<std::string> kNone = {""};
    const auto& principals = access.principals.empty() ? kNone : access.principals;
    const auto& groups = access.groups.empty() ? kNone : access.groups;
    out.consumers = read_names(ctx, r, "consumers", principals, "consumer");
    out.groups = read_names(ctx, r, "groups", groups, "group");
    out.scopes = read_names(ctx, r, "scopes", {}, "scope");
    if (ctx.errors.size() != errors_before) return std::nullopt;
    if (out.consumers.empty() && out.groups.empty() && out.scopes.empty()) {
        ctx.error(v.node, v.path, "expected at least one of consumers, groups, scopes");
        return std::nullopt;
    }
    return out;
}

std::vector<Cidr> read_cidrs(const Context& ctx, const MapReader& r, const char* key) {
    std::vector<Cidr> out;
    auto v = r.find(key);
    if (!v) return out;
    for (const auto& s : read_string_or_list(ctx, *v)) {
        std::string error;
        if (auto cidr = parse_cidr(s.text, error))
            out.push_back(*cidr);
        else
            ctx.errors.add(s.mark, s.path, error);
    }
    return out;
}

std::optional<middleware::IpFilterConfig> parse_ip(const Context& ctx, const Value& v) {
    MapReader r(ctx, v, {{"allow", "deny"}, {}});
    if (!r.valid()) return std::nullopt;
    const std::size_t errors_before = ctx.errors.size();
    middleware::IpFilterConfig out;
    out.allow = read_cidrs(ctx, r, "allow");
    out.deny = read_cidrs(ctx, r, "deny");
    if (ctx.errors.size() != errors_before) return std::nullopt;
    if (out.allow.empty() && out.deny.empty()) {
        ctx.error(v.node, v.path, "expected a non-empty 'allow' or 'deny' list");
        return std::nullopt;
    }
    return out;
}

}  // namespace

void parse_route_access(const Context& ctx, const MapReader& r, const AccessTables& access,
                        RouteSpec& spec) {
    std::optional<middleware::IpFilterConfig> ip;
    std::optional<middleware::auth::AuthStepConfig> auth;
    std::optional<middleware::auth::AllowConfig> allow;
    if (auto v = r.find("ip")) ip = parse_ip(ctx, *v);
    if (auto v = r.find("auth")) auth = parse_auth(ctx, *v, access);
    if (auto v = r.find("allow")) {
        allow = parse_allow(ctx, *v, access);
        if (!r.has("auth"))
            ctx.error(v->node, v->path, "needs 'auth' on the same route to know the caller");
    }
    if (!ip && !auth && !allow) return;
    // Counts survive reloads: they live in the registry, by route name.
    auto counters = ctx.registry->state<middleware::auth::FailureCounters>("auth");
    ctx.registry->add_metrics("auth_failures", [counters](std::string& out) {
        counters->render(out);
    });
    std::shared_ptr<RouteFailures> failures = counters->for_route(spec.name);
    if (ip) {
        ip->failures = failures;
        spec.steps.push_back(std::make_shared<middleware::IpFilterStep>(std::move(*ip)));
    }
    if (auth) {
        auth->failures = failures;
        spec.steps.push_back(std::make_shared<middleware::auth::AuthStep>(std::move(*auth)));
    }
    if (allow) {
        allow->failures = failures;
        spec.steps.push_back(std::make_shared<middleware::auth::AllowStep>(std::move(*allow)));
    }
}

}  // namespace gw::config
