// Decision counters of one (route, limit): gateway_rate_limit_decisions_total, and for a
// `store: redis` limit the decisions redis.on_error made (gateway_rate_limit_redis_errors_total).
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
    // Redis could not decide (down, slow, a bad reply): redis.on_error did. Counted besides
    // the allowed/limited count of the same request.
    void count_store_error();
    std::uint64_t allowed() const { return sum(&Stripe::allowed); }
    std::uint64_t limited() const { return sum(&Stripe::limited); }
    std::uint64_t store_errors() const { return sum(&Stripe::store_errors); }

private:
    static constexpr std::size_t kStripes = 16;
    struct alignas(64) Stripe {
        std::atomic<std::uint64_t> allowed{0};
        std::atomic<std::uint64_t> limited{0};
        std::atomic<std::uint64_t> store_errors{0};
    };
    std::uint64_t sum(std::atomic<std::uint64_t> Stripe::*field) const;

    std::array<Stripe, kStripes> stripes_{};
};

}  // namespace gw::middleware::rate_limit
