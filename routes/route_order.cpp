#include "routes/route_order.h"

#include <unordered_map>

#include "routes/compiled_matcher.h"

namespace gw::routes {
namespace {

// Among parameter paths of one length, the leftmost literal wins: "/a/b/{x}" before
// "/a/{y}/c" before "/{z}/b/c", the order a trie router would try them.
int compare_param_shapes(const PathPattern& a, const PathPattern& b) {
    const auto& sa = a.segments();
    const auto& sb = b.segments();
    if (sa.size() != sb.size()) return sa.size() > sb.size() ? -1 : 1;
    for (std::size_t i = 0; i < sa.size(); ++i)
        if (sa[i].is_param != sb[i].is_param) return sa[i].is_param ? 1 : -1;
    return 0;
}

// Negative when a goes first, positive when b does, 0 when the paths rank equal.
int compare_paths(const PathPattern& a, const PathPattern& b) {
    if (a.kind() != b.kind()) return a.kind() < b.kind() ? -1 : 1;
    if (a.kind() == PathKind::params) {
        if (const int c = compare_param_shapes(a, b)) return c;
    }
    // Regexes keep config order: the length of an expression says nothing about what it takes.
    if (a.kind() == PathKind::regex) return 0;
    if (a.text().size() != b.text().size()) return a.text().size() > b.text().size() ? -1 : 1;
    return 0;
}

bool methods_overlap(const CompiledMatcher& a, const CompiledMatcher& b) {
    if (a.methods().empty() || b.methods().empty()) return true;
    for (const auto& m : a.methods())
        if (b.allows(m) || (m == "GET" && b.allows("HEAD"))) return true;
    return false;
}

std::string conflict_message(const CompiledRoute& earlier, const CompiledRoute& later) {
    return later.spec.path_mark.str() + ": " + route_label(later.spec, later.index) +
           ".match.path: route '" + later.spec.name + "' conflicts with route '" +
           earlier.spec.name +
           "' at " + earlier.spec.path_mark.str() + " (same path, methods and host)";
}

}  // namespace

std::string route_label(const config::RouteSpec& spec, std::size_t position) {
    const auto key = spec.key.empty() ? "routes[" + std::to_string(position) + "]" : spec.key;
    return key;
}

bool precedes(const CompiledRoute& a, const CompiledRoute& b) {
    if (const int c = compare_paths(a.matcher->path(), b.matcher->path())) return c < 0;
    return a.matcher->constraint_rank() > b.matcher->constraint_rank();
}

void find_conflicts(const std::vector<CompiledRoute>& routes, std::vector<std::string>& errors) {
    // Routes that take exactly the same paths under exactly the same constraints share a
    // group; only within a group can two routes take the same request, so this is linear in
    // the number of routes unless many routes differ by method alone.
    std::unordered_map<std::string, std::vector<std::size_t>> groups;
    for (std::size_t j = 0; j < routes.size(); ++j) {
        const auto& m = *routes[j].matcher;
        auto& group = groups[m.path().conflict_key() + '\0' + m.constraint_key()];
        for (const auto i : group) {
            if (methods_overlap(*routes[i].matcher, m)) {
                errors.push_back(conflict_message(routes[i], routes[j]));
                break;  // one error per route is enough to fix it
            }
        }
        group.push_back(j);
    }
}

}  // namespace gw::routes
