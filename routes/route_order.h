// Load-time ordering and conflict checks for compiled routes. Runs once per configuration load,
// on the loading thread, before the table is shared.
#pragma once

#include <string>
#include <vector>

#include "routes/route_table.h"

namespace gw::routes {

// "routes[2] (get-order)" for error messages: the loader's key path within the route's own
// file when it set one (includes merge routes, so the merged position would mislead), else
// "routes[position]".
std::string route_label(const config::RouteSpec& spec, std::size_t position);

// Strict weak ordering for std::stable_sort, so ties keep config order. Exact paths, then
// parameter paths, then regexes, then prefixes; more specific before less within each kind;
// then routes with host or header constraints before those without.
bool precedes(const CompiledRoute& a, const CompiledRoute& b);

// routes are in config order with index still holding the spec position. Appends one error
// per route that could take the same request as an earlier one (same path shape, host, headers
// and overlapping methods), pointing at the later route's match.path.
void find_conflicts(const std::vector<CompiledRoute>& routes, std::vector<std::string>& errors);

}  // namespace gw::routes
