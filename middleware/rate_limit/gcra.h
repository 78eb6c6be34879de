// GCRA, the generic cell rate algorithm (ITU-T I.371; the "virtual scheduling" form), for the
// route rate limits. Pure functions over one number per key, the theoretical arrival time
// (TAT): no clock, no state, so the semantics are tested with a hand-driven time.
//
// Semantics: `limit` per `window` is the sustained rate: one request is worth
// interval = window / limit of time. `burst` (default: limit) is how many requests a fresh or
// rested key may make at once. A request at `now` passes when max(TAT, now) + interval lies no
// more than burst * interval ahead of now; it then moves the TAT there. A key whose TAT is in
// the past holds no information: it behaves exactly like a key never seen, which is what lets
// the table forget idle keys for free.
#pragma once

#include <chrono>
#include <cstdint>

namespace gw::middleware::rate_limit {

using Nanos = std::int64_t;  // a monotonic clock reading or a span, in nanoseconds

struct Rate {
    Nanos interval = 1;   // window / limit: one request's share of the window
    Nanos capacity = 1;   // burst * interval: how far ahead of now the TAT may run
    std::uint64_t burst = 1;
};

// Assumes limit >= 1, burst >= 1, window / limit >= 1ns and burst * interval < 2^62
// (config/rate_limit_section.cpp refuses the rest).
Rate make_rate(std::uint64_t limit, std::chrono::nanoseconds window, std::uint64_t burst);

// True when (limit, window, burst) is representable: interval >= 1ns, capacity < 2^62.
bool rate_is_representable(std::uint64_t limit, std::chrono::nanoseconds window,
                           std::uint64_t burst);

struct Decision {
    bool allowed = true;
    std::uint64_t remaining = 0;  // requests that would still pass at once after this one
    Nanos reset = 0;              // until the key is back to a full burst
    Nanos retry_after = 0;        // refused: until one request would pass (> 0)
};

// One request at `now` for a key whose TAT is `tat` (0 for a key never seen). When allowed,
// `tat` moves on; when refused it stays as it was.
Decision gcra_decide(Nanos& tat, const Rate& rate, Nanos now);

// Undoes one allowed request (another limit refused it): moves `tat` back by one interval.
inline void gcra_give_back(Nanos& tat, const Rate& rate) { tat -= rate.interval; }

// Whole seconds for headers (Retry-After, RateLimit-Reset), rounded up.
inline std::int64_t ceil_seconds(Nanos span) {
    constexpr Nanos kSecond = 1'000'000'000;
    return span <= 0 ? 0 : (span + kSecond - 1) / kSecond;
}

}  // namespace gw::middleware::rate_limit
