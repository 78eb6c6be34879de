// The compiled route table: built once per configuration load, then read-only and shared by
// every worker thread (it lives inside the immutable Config snapshot). Matching allocates only
// for captured path parameters.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/beast/http/fields.hpp>

#include "config/types.h"

namespace gw::routes {

using Params = std::vector<std::pair<std::string, std::string>>;  // {name} -> decoded value

class CompiledMatcher;  // path/host/header matching internals (compiled_matcher.h)
struct RouteIndex;      // lookup indexes (route_table.cpp)

struct CompiledRoute {
    config::RouteSpec spec;
    std::shared_ptr<const CompiledMatcher> matcher;
    std::size_t index = 0;  // position in RouteTable::routes()
};

enum class MatchStatus { found, not_found, method_not_allowed };

struct RequestView {
    std::string_view method;  // as sent, e.g. "GET"
    std::string_view host;    // lower-case, port removed; "" when absent
    std::string_view path;    // normalised (see normalize_target), no query
    const boost::beast::http::fields* headers = nullptr;
};

struct MatchResult {
    MatchStatus status = MatchStatus::not_found;
    const CompiledRoute* route = nullptr;  // set when found
    Params params;
    std::string allow;  // for 405: "GET, POST"
};

class RouteTable {
public:
    RouteTable() = default;
    // Compiles and orders the routes. Bad regexes, bad templates, rewrite references to unknown
    // parameters and conflicts are appended to errors as "file:line:col: routes[i].key: why".
    static RouteTable build(std::vector<config::RouteSpec> specs, std::vector<std::string>& errors);

    MatchResult match(const RequestView& request) const;
    // In precedence order.
    const std::vector<CompiledRoute>& routes() const { return routes_; }

private:
    std::vector<CompiledRoute> routes_;
    // Lookup indexes, private details of route_table.cpp; null in a default-constructed table.
    std::shared_ptr<const RouteIndex> index_;
};

}  // namespace gw::routes
