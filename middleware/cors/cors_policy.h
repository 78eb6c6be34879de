// The route's `cors:` section compiled for requests: which browser origins may call the route,
// with which methods and headers, and what the preflight and actual responses say (Fetch
// standard, "CORS protocol"). Immutable after load; shared by every worker.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace gw::middleware::cors {

struct CorsPolicy {
    bool any_origin = false;               // origins: ["*"]
    std::vector<std::string> origins;      // exact, lower-case "scheme://host[:port]"
    std::vector<std::string> suffixes;     // "https://*.example.com" kept as scheme + ".host"
    std::vector<std::string> schemes;      // the scheme of each suffix, same index
    std::vector<std::string> methods;      // upper-case; empty: the route's methods, or any
    std::string methods_value;             // Access-Control-Allow-Methods
    std::vector<std::string> headers;      // lower-case; empty: whatever the preflight asks
    std::string headers_value;             // Access-Control-Allow-Headers when listed
    std::string expose_value;              // Access-Control-Expose-Headers ("" : none)
    bool credentials = false;              // Access-Control-Allow-Credentials: true
    std::string max_age;                   // seconds, "" : not sent

    // Whether a request from `origin` (its Origin header) may read the response.
    bool allows_origin(std::string_view origin) const;
    bool allows_method(std::string_view method) const;
    // The first header of a comma list (Access-Control-Request-Headers) not allowed; "" if all.
    std::string_view refused_header(std::string_view requested) const;
    // The Access-Control-Allow-Origin value for an allowed origin.
    std::string_view allow_origin_value(std::string_view origin) const {
        return any_origin && !credentials ? std::string_view("*") : origin;
    }
    // Whether responses differ by Origin (so caches must see `Vary: Origin`).
    bool varies_by_origin() const { return !any_origin || credentials; }
};

// "a, b, c": a header value listing the items.
std::string join_list(const std::vector<std::string>& items);

// Appends `token` to a Vary value unless it is there already (or the value is "*").
std::string with_vary(std::string_view vary, std::string_view token);

}  // namespace gw::middleware::cors
