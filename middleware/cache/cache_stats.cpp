#include "middleware/cache/cache_stats.h"

#include "middleware/thread_stripe.h"

namespace gw::middleware::cache {

void RouteCounters::add(Outcome o) {
    stripes_[this_thread_stripe(kStripes)].counts[static_cast<std::size_t>(o)].fetch_add(
        1, std::memory_order_relaxed);
}

std::uint64_t RouteCounters::total(Outcome o) const {
    std::uint64_t n = 0;
    for (const auto& s : stripes_)
        n += s.counts[static_cast<std::size_t>(o)].load(std::memory_order_relaxed);
    return n;
}

RouteCounters& CacheStats::route(const std::string& name) {
    std::lock_guard lock(mutex_);
    auto& slot = routes_[name];
    if (!slot) slot = std::make_unique<RouteCounters>();
    return *slot;
}

std::map<std::string, std::array<std::uint64_t, 3>> CacheStats::totals() const {
    std::map<std::string, std::array<std::uint64_t, 3>> out;
    std::lock_guard lock(mutex_);
    for (const auto& [name, c] : routes_)
        out[name] = {c->total(Outcome::hit), c->total(Outcome::miss), c->total(Outcome::bypass)};
    return out;
}

}  // namespace gw::middleware::cache
