// Builders shared by the router tests: RouteSpec values as the YAML loader would make them.
#pragma once

#include <string>
#include <vector>

#include <catch.hpp>

#include "config/types.h"
#include "routes/route_table.h"

namespace gw::routes::test {

// A route whose node sits at line 10*(n+1) of routes.yaml and whose match.path is 2 lines down.
inline config::RouteSpec spec(std::string name, std::string path,
                              std::vector<std::string> methods = {}, int n = 0) {
    config::RouteSpec s;
    s.name = std::move(name);
    s.match.path = std::move(path);
    s.match.methods = std::move(methods);
    s.mark = {"routes.yaml", 10 * (n + 1), 5};
    s.path_mark = {"routes.yaml", 10 * (n + 1) + 2, 13};
    s.respond = config::Respond{};
    return s;
}

// Builds a table that must compile without errors.
inline RouteTable table(std::vector<config::RouteSpec> specs) {
    std::vector<std::string> errors;
    auto t = RouteTable::build(std::move(specs), errors);
    INFO((errors.empty() ? std::string() : errors.front()));
    REQUIRE(errors.empty());
    return t;
}

inline std::vector<std::string> build_errors(std::vector<config::RouteSpec> specs) {
    std::vector<std::string> errors;
    RouteTable::build(std::move(specs), errors);
    return errors;
}

inline RequestView request(std::string_view method, std::string_view path,
                           std::string_view host = "",
                           const boost::beast::http::fields* headers = nullptr) {
    return RequestView{method, host, path, headers};
}

inline const CompiledRoute& by_name(const RouteTable& t, const std::string& name) {
    for (const auto& r : t.routes())
        if (r.spec.name == name) return r;
    FAIL("no route " << name);
    throw;  // not reached
}

inline std::vector<std::string> names(const RouteTable& t) {
    std::vector<std::string> out;
    for (const auto& r : t.routes()) out.push_back(r.spec.name);
    return out;
}

// Name of the route matched, "404" or "405 <allow>".
inline std::string outcome(const RouteTable& t, const RequestView& r) {
    const auto m = t.match(r);
    switch (m.status) {
    case MatchStatus::found: return m.route->spec.name;
    case MatchStatus::not_found: return "404";
    case MatchStatus::method_not_allowed: return "405 " + m.allow;
    }
    return "?";
}

}  // namespace gw::routes::test
