#include "middleware/cors/cors_policy.h"

#include <algorithm>

#include "config/text.h"

namespace gw::middleware::cors {
namespace {

// Calls fn(token) for each non-empty token of a comma list until fn returns true.
template <class Fn>
bool any_token(std::string_view list, Fn fn) {
    while (!list.empty()) {
        auto comma = list.find(',');
        auto token = config::trim_ows(list.substr(0, comma));
        if (!token.empty() && fn(token)) return true;
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return false;
}
}  // namespace

bool CorsPolicy::allows_origin(std::string_view origin) const {
    if (origin.empty()) return false;
    if (any_origin) return true;
    for (const auto& o : origins)
        if (config::iequals(o, origin)) return true;
    // "https://*.example.com": the origin's scheme matches and its host ends in ".example.com"
    // with at least one label before it.
    for (std::size_t i = 0; i < suffixes.size(); ++i) {
        const std::string& scheme = schemes[i];
        if (origin.size() <= scheme.size() + 3 + suffixes[i].size()) continue;
        if (!config::iequals(origin.substr(0, scheme.size()), scheme) ||
            origin.substr(scheme.size(), 3) != "://")
            continue;
        auto host = origin.substr(scheme.size() + 3);
        if (host.find('/') != std::string_view::npos) continue;
        if (config::iequals(host.substr(host.size() - suffixes[i].size()), suffixes[i]) &&
            host.size() > suffixes[i].size())
            return true;
    }
    return false;
}

bool CorsPolicy::allows_method(std::string_view method) const {
    if (methods.empty()) return true;  // the router already checked the route's methods
    return std::any_of(methods.begin(), methods.end(),
                       [&](const std::string& m) { return m == method; });
}

std::string_view CorsPolicy::refused_header(std::string_view requested) const {
    if (headers.empty()) return {};
    std::string_view refused;
    any_token(requested, [&](std::string_view h) {
        bool listed = std::any_of(headers.begin(), headers.end(),
                                  [&](const std::string& a) { return config::iequals(a, h); });
        if (!listed) refused = h;
        return !listed;
    });
    return refused;
}

std::string join_list(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) {
        if (!out.empty()) out += ", ";
        out += i;
    }
    return out;
}

std::string with_vary(std::string_view vary, std::string_view token) {
    vary = config::trim_ows(vary);
    if (vary.empty()) return std::string(token);
    if (vary == "*" ||
        any_token(vary, [&](std::string_view t) { return config::iequals(t, token); }))
        return std::string(vary);
    std::string out(vary);
    out += ", ";
    out += token;
    return out;
}

}  // namespace gw::middleware::cors
