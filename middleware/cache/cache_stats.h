// Cache counters per route for /metrics: hits, misses, bypasses (evictions are counted by the
// store itself).
//
// Threads: workers increment, the admin thread reads. Each route's counters are striped over
// kStripes cache lines, a worker thread picks its stripe once, so workers hitting the same hot
// route do not bounce one line between cores; the scrape adds the stripes up. Routes are added
// at load (control thread) under the table's mutex and never removed, so a step keeps a plain
// pointer to its counters across reloads.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace gw::middleware::cache {

enum class Outcome { hit, miss, bypass };

class RouteCounters {
public:
    void add(Outcome o);
    std::uint64_t total(Outcome o) const;

private:
    static constexpr std::size_t kStripes = 8;
    struct alignas(64) Stripe {
        std::array<std::atomic<std::uint64_t>, 3> counts{};
    };
    std::array<Stripe, kStripes> stripes_{};
};

class CacheStats {
public:
    RouteCounters& route(const std::string& name);
    // Outcome totals by route, for rendering.
    std::map<std::string, std::array<std::uint64_t, 3>> totals() const;

private:
    mutable std::mutex mutex_;
    std::map<std::string, std::unique_ptr<RouteCounters>> routes_;
};

}  // namespace gw::middleware::cache
