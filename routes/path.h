// Request-target handling shared by the router and the proxy.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "routes/route_table.h"

namespace gw::routes {

struct SplitTarget {
    std::string path;   // normalised
    std::string query;  // without '?', as sent
};

// Splits an origin-form request target and normalises its path: percent-encoded unreserved
// characters decoded, other escapes upper-cased, dot-segments resolved ("/../a" stays at the
// root: "/a"), "//" kept. Returns nullopt for targets that must be refused with 400 (not
// origin-form, bad escapes, an encoded '/' or '\' or NUL, raw control characters or '\').
std::optional<SplitTarget> normalize_target(std::string_view target);

// The path to send upstream for a matched route: rewrite.path with {params} substituted, or
// strip_prefix removed (leaving at least "/"), else the normalised path unchanged.
std::string rewrite_path(const CompiledRoute& route, std::string_view path, const Params& params);

}  // namespace gw::routes
