// The pieces of retry: (config/types.h RetryPolicy) the proxy's attempt loop asks about: which
// failures and methods are retried, how long to wait, and whether the budget allows it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "config/types.h"
#include "server/http_date.h"
#include "server/target_state.h"

namespace gw::server {

// A request body up to this size is kept while it streams upstream, so that a failed attempt
// can be sent again; a larger one is never retried (it would have to be buffered whole).
inline constexpr std::size_t kMaxRetryBody = 64 * 1024;

enum class Failure { connect_failure, reset, timeout, status };

bool retried_on(const config::RetryPolicy& policy, Failure failure, unsigned status);
bool method_retried(const config::RetryPolicy& policy, std::string_view method);

// The wait before retry number `retry` (1 for the first): backoff * 2^(retry-1), capped at
// 32 * backoff, then "equal jitter": a uniform pick in its upper half, so many callers that
// failed together do not come back together. `random` is any 64-bit random value.
config::Duration backoff_delay(config::Duration backoff, unsigned retry, std::uint64_t random);

// Retry-After (RFC 9110 10.2.3) as the wait it asks for: delta-seconds, or an HTTP-date less
// `now` (a date past gives 0). Garbage, or a wait over a day, gives nullopt (the backoff).
std::optional<config::Duration> parse_retry_after(std::string_view value, SystemTime now);

// Caps retries at a fraction of requests over a sliding window, so that retries cannot
// multiply the load on an upstream that is down (Envoy's retry budget is the model): a retry
// is allowed while retries < max(kFloor, kPercent% of requests) over the last kWindow seconds.
// The floor keeps retries useful on quiet routes. One per worker and upstream (Balancer):
// worker thread only.
class RetryBudget {
public:
    static constexpr unsigned kPercent = 20;
    static constexpr unsigned kFloor = 10;
    static constexpr int kWindow = 10;  // one-second buckets

    void record_request(Nanos now);
    bool has_room(Nanos now);
    // Takes one retry from the budget; false when it is spent.
    bool try_retry(Nanos now);

private:
    void advance(Nanos now);
    std::array<std::uint32_t, kWindow> requests_{};
    std::array<std::uint32_t, kWindow> retries_{};
    std::int64_t second_ = 0;  // the second the newest bucket counts
};

// One request's retry decisions: armed by the attempt loop while attempts remain, asked after
// each failed attempt (and by the exchange before it relays an answer whose status is retried).
// Worker thread only, lives for one request.
class RetryGate {
public:
    // budget: null when the policy allows no retries. deadline: the route's timeout from the
    // start of the request; no wait may end past it.
    RetryGate(const config::RetryPolicy& policy, RetryBudget* budget, Nanos deadline,
              std::uint64_t seed)
        : policy_(policy), budget_(budget), deadline_(deadline), random_(seed | 1) {}

    // Whether the attempt that starts now may be followed by another.
    void arm(unsigned attempt) { armed_ = budget_ && attempt < policy_.attempts; }
    // May this failure be retried? Takes a retry from the budget and sets wait() when so.
    // retry_after: the upstream's Retry-After value ("" when none), honoured on 429 and 503
    // when it fits the deadline.
    bool allow(Failure failure, unsigned status, std::string_view retry_after, Nanos now);
    config::Duration wait() const { return wait_; }
    unsigned retries() const { return retries_; }

private:
    const config::RetryPolicy& policy_;
    RetryBudget* budget_;
    Nanos deadline_;
    std::uint64_t random_;
    bool armed_ = false;
    unsigned retries_ = 0;
    config::Duration wait_{0};
};

}  // namespace gw::server
