// Everything one route needs per request, compiled from its RouteSpec at load: the path pattern,
// host and header constraints, methods and the rewrite. Immutable afterwards and shared by all
// worker threads through CompiledRoute::matcher, so every member function is const and
// lock-free.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/types.h"
#include "routes/path_pattern.h"
#include "routes/route_table.h"

namespace gw::routes {

// One problem found while compiling a route; route_table.cpp adds "file:line:col: routes[i]".
struct RouteError {
    bool at_path_mark = false;  // match.path errors point at the path, the rest at the route
    std::string key;            // "match.path", "match.host", "rewrite.path", ...
    std::string why;
};

// A piece of rewrite.path: literal text, or a parameter by its position in the captured Params
// (known at load because Params come in pattern order), so requests do no name lookups.
struct RewritePiece {
    std::string text;  // literal, or the parameter's name
    std::size_t param_index = 0;
    bool is_param = false;
};

class CompiledMatcher {
public:
    // Returns null when the spec has errors; they are appended to errors.
    static std::shared_ptr<const CompiledMatcher> compile(const config::RouteSpec& spec,
                                                          std::vector<RouteError>& errors);

    const PathPattern& path() const { return path_; }
    bool matches_host(std::string_view host) const;
    bool matches_headers(const boost::beast::http::fields* headers) const;
    // Empty methods allow any; a route that allows GET also serves HEAD (RFC 9110 9.3.2).
    bool allows(std::string_view method) const;
    const std::vector<std::string>& methods() const { return methods_; }

    // Constraint identity for conflict detection: equal keys means "same host and headers".
    std::string constraint_key() const;
    // Higher ranks go first among routes with equal paths: more constraints, exact host first.
    int constraint_rank() const;

    const std::vector<RewritePiece>& rewrite() const { return rewrite_; }  // empty: none
    // Without a trailing '/', so "/api" and "/api/" behave the same; empty: none.
    const std::string& strip_prefix() const { return strip_prefix_; }

private:
    bool compile_host(const std::string& host, std::vector<RouteError>& errors);
    bool compile_rewrite(const config::Rewrite& rw, std::vector<RouteError>& errors);
    bool compile_template(const std::string& tmpl, std::vector<RouteError>& errors);

    PathPattern path_;
    std::string host_;          // exact host, or the ".example.com" suffix when wildcard
    bool host_wildcard_ = false;
    config::HeaderList headers_;  // sorted, so equal sets compare equal
    std::vector<std::string> methods_;
    std::vector<RewritePiece> rewrite_;
    std::string strip_prefix_;
};

}  // namespace gw::routes
