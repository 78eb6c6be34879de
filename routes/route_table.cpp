// Building the route table (once per load, on the loading thread) and matching requests (on
// every worker thread at once, reading only immutable data: no locks).
#include "routes/route_table.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <unordered_map>

#include "config/respond_lines.h"
#include "routes/compiled_matcher.h"
#include "routes/route_order.h"

namespace gw::routes {

struct RouteIndex {
    // Transparent hashing lets match() look a string_view up without building a std::string.
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const {
            return std::hash<std::string_view>{}(s);
        }
    };
    // Exact path -> its routes, in precedence order (they differ by host, headers or methods).
    std::unordered_map<std::string, std::vector<std::uint32_t>, Hash, std::equal_to<>> exact;
    // Every other route, in precedence order. All of them rank after every exact route, so
    // trying the exact bucket first and these next keeps precedence order.
    std::vector<std::uint32_t> others;
};

namespace {

std::string format_error(const config::RouteSpec& spec, std::size_t i, const RouteError& e) {
    const auto& mark = e.at_path_mark ? spec.path_mark : spec.mark;
    return mark.str() + ": " + route_label(spec, i) + "." + e.key + ": " + e.why + " (route '" +
           spec.name + "')";
}

std::shared_ptr<const RouteIndex> make_index(const std::vector<CompiledRoute>& routes) {
    auto index = std::make_shared<RouteIndex>();
    for (const auto& r : routes) {
        const auto& path = r.matcher->path();
        const auto pos = static_cast<std::uint32_t>(r.index);
        if (path.kind() == PathKind::exact)
            index->exact[path.text()].push_back(pos);
        else
            index->others.push_back(pos);
    }
    return index;
}

// A route whose path, host and headers fit but whose methods do not adds those methods to
// allow, for the 405 answer in case no later route takes the request.
bool try_route(const CompiledRoute& route, const RequestView& request, MatchResult& result,
               std::vector<std::string_view>& allow) {
    const auto& m = *route.matcher;
    if (!m.matches_host(request.host) || !m.matches_headers(request.headers)) return false;
    if (!m.allows(request.method)) {
        if (m.path().match(request.path, nullptr))
            allow.insert(allow.end(), m.methods().begin(), m.methods().end());
        return false;
    }
    if (!m.path().match(request.path, &result.params)) return false;
    result.status = MatchStatus::found;
    result.route = &route;
    return true;
}

std::string join_allow(std::vector<std::string_view>& methods) {
    std::sort(methods.begin(), methods.end());
    methods.erase(std::unique(methods.begin(), methods.end()), methods.end());
    std::string out;
    for (const auto m : methods) {
        if (!out.empty()) out += ", ";
        out += m;
    }
    return out;
}

}  // namespace

RouteTable RouteTable::build(std::vector<config::RouteSpec> specs,
                             std::vector<std::string>& errors) {
    std::vector<CompiledRoute> routes;
    routes.reserve(specs.size());
    for (std::size_t i = 0; i < specs.size(); ++i) {
        std::vector<RouteError> route_errors;
        if (auto& r = specs[i].respond)  // the answer's fixed header lines, rendered once
            r->lines = config::render_respond_lines(*r, specs[i].response_headers);
        auto matcher = CompiledMatcher::compile(specs[i], route_errors);
        for (const auto& e : route_errors) errors.push_back(format_error(specs[i], i, e));
        // index holds the spec position until sorting, for conflict messages.
        if (matcher) routes.push_back({std::move(specs[i]), std::move(matcher), i});
    }
    find_conflicts(routes, errors);
    std::stable_sort(routes.begin(), routes.end(), precedes);
    for (std::size_t i = 0; i < routes.size(); ++i) routes[i].index = i;

    RouteTable table;
    table.index_ = make_index(routes);
    table.routes_ = std::move(routes);
    return table;
}

MatchResult RouteTable::match(const RequestView& request) const {
    MatchResult result;
    if (!index_) return result;
    std::vector<std::string_view> allow;  // stays empty, without allocating, on the common path
    if (const auto it = index_->exact.find(request.path); it != index_->exact.end()) {
        for (const auto i : it->second)
            if (try_route(routes_[i], request, result, allow)) return result;
    }
    // Linear over non-exact routes: tables are tens to hundreds of routes and each check is a
    // prefix compare or a segment walk; a regex only runs for regex routes.
    for (const auto i : index_->others)
        if (try_route(routes_[i], request, result, allow)) return result;
    if (!allow.empty()) {
        result.status = MatchStatus::method_not_allowed;
        result.allow = join_allow(allow);
    }
    return result;
}

}  // namespace gw::routes
