// A route's compiled `cache:` section (config/cache_section.cpp builds and validates it).
// Immutable; shared by every worker through the route's cache step.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace gw::middleware::cache {

struct CacheRule {
    std::string route;                       // the route's name
    std::chrono::milliseconds ttl{0};        // freshness when the upstream says nothing
    std::vector<std::string> vary;           // request headers in the key, lower-case, sorted
    std::size_t max_body = 1024 * 1024;      // larger responses stream through unstored
    bool shared = false;                     // true: one entry for all consumers
    std::chrono::milliseconds stale_if_error{0};  // 0: a failure is never hidden
};

}  // namespace gw::middleware::cache
