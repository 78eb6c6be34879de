#include "middleware/rate_limit/gcra.h"

#include <algorithm>

namespace gw::middleware::rate_limit {
namespace {
constexpr Nanos kMaxCapacity = Nanos{1} << 62;  // leaves room for now + capacity + interval
}

bool rate_is_representable(std::uint64_t limit, std::chrono::nanoseconds window,
                           std::uint64_t burst) {
    if (limit == 0 || burst == 0 || window.count() <= 0) return false;
    auto interval = static_cast<std::uint64_t>(window.count()) / limit;
    if (interval == 0) return false;
    return burst <= static_cast<std::uint64_t>(kMaxCapacity) / interval;
}

Rate make_rate(std::uint64_t limit, std::chrono::nanoseconds window, std::uint64_t burst) {
    Rate r;
    // Rounding the interval down errs towards letting through a fraction of a nanosecond per
    // request more, never fewer: a burst of `burst` at once is always exact.
    r.interval = static_cast<Nanos>(static_cast<std::uint64_t>(window.count()) / limit);
    r.capacity = r.interval * static_cast<Nanos>(burst);
    r.burst = burst;
    return r;
}

Decision gcra_decide(Nanos& tat, const Rate& rate, Nanos now) {
    Decision d;
    Nanos base = std::max(tat, now);
    Nanos next = base + rate.interval;
    Nanos ahead = next - now;  // how far ahead of now the TAT would run
    if (ahead > rate.capacity) {
        d.allowed = false;
        d.remaining = 0;
        d.reset = base - now;
        d.retry_after = ahead - rate.capacity;
        return d;
    }
    tat = next;
    d.remaining = static_cast<std::uint64_t>((rate.capacity - ahead) / rate.interval);
    d.reset = ahead;
    return d;
}

}  // namespace gw::middleware::rate_limit
