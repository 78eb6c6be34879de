#include "middleware/rate_limit/decision_stats.h"

#include "middleware/thread_stripe.h"

namespace gw::middleware::rate_limit {

void DecisionStats::count(bool allowed) {
    Stripe& s = stripes_[this_thread_stripe(kStripes)];
    (allowed ? s.allowed : s.limited).fetch_add(1, std::memory_order_relaxed);
}

void DecisionStats::count_store_error() {
    stripes_[this_thread_stripe(kStripes)].store_errors.fetch_add(1, std::memory_order_relaxed);
}

std::uint64_t DecisionStats::sum(std::atomic<std::uint64_t> Stripe::*field) const {
    std::uint64_t n = 0;
    for (const auto& s : stripes_) n += (s.*field).load(std::memory_order_relaxed);
    return n;
}

}  // namespace gw::middleware::rate_limit
