// Decision counters of one (route, limit): gateway_rate_limit_decisions_total.
//
// Threads: every worker counts; the scraper reads. Counts are spread over cache-line-sized
// stripes picked per thread, so workers deciding for different keys of one limit do not fight
// over one cache line; reading sums the stripes (relaxed: a scrape needs no ordering).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace gw::middleware::rate_limit {

class DecisionStats {
public:
    void count(bool allowed);
    std::uint64_t allowed() const { return sum(&Stripe::allowed); }
    std::uint64_t limited() const { return sum(&Stripe::limited); }

private:
    static constexpr std::size_t kStripes = 16;
    struct alignas(64) Stripe {
        std::atomic<std::uint64_t> allowed{0};
        std::atomic<std::uint64_t> limited{0};
    };
    std::uint64_t sum(std::atomic<std::uint64_t> Stripe::*field) const;

    std::array<Stripe, kStripes> stripes_{};
};

}  // namespace gw::middleware::rate_limit
