#include "middleware/rate_limit/decision_stats.h"

namespace gw::middleware::rate_limit {
namespace {

std::size_t this_thread_stripe(std::size_t stripes) {
    static std::atomic<std::size_t> next{0};
    thread_local const std::size_t mine = next.fetch_add(1, std::memory_order_relaxed);
    return mine % stripes;
}

}  // namespace

void DecisionStats::count(bool allowed) {
    Stripe& s = stripes_[this_thread_stripe(kStripes)];
    (allowed ? s.allowed : s.limited).fetch_add(1, std::memory_order_relaxed);
}

std::uint64_t DecisionStats::sum(std::atomic<std::uint64_t> Stripe::*field) const {
    std::uint64_t n = 0;
    for (const auto& s : stripes_) n += (s.*field).load(std::memory_order_relaxed);
    return n;
}

}  // namespace gw::middleware::rate_limit
