#include "server/retry_policy.h"

#include <algorithm>
#include <numeric>

#include "config/text.h"
#include "config/units.h"

namespace gw::server {

bool retried_on(const config::RetryPolicy& policy, Failure failure, unsigned status) {
    switch (failure) {
        case Failure::connect_failure: return policy.on_connect_failure;
        case Failure::reset: return policy.on_reset;
        case Failure::timeout: return policy.on_timeout;
        case Failure::status:
            return std::find(policy.statuses.begin(), policy.statuses.end(), status) !=
                   policy.statuses.end();
    }
    return false;
}

bool method_retried(const config::RetryPolicy& policy, std::string_view method) {
    return std::find(policy.methods.begin(), policy.methods.end(), method) !=
           policy.methods.end();
}

config::Duration backoff_delay(config::Duration backoff, unsigned retry,
                               std::uint64_t random) {
    unsigned shift = std::min(retry == 0 ? 0u : retry - 1, 5u);
    auto full = backoff.count() << shift;
    auto half = full / 2;
    return config::Duration(full - half + static_cast<std::int64_t>(random % (half + 1)));
}

std::optional<config::Duration> parse_retry_after(std::string_view value, SystemTime now) {
    value = config::trim_ows(value);
    constexpr std::chrono::seconds kMaxWait{86'400};
    if (auto n = config::parse_uint(value)) {
        if (*n > static_cast<std::uint64_t>(kMaxWait.count())) return std::nullopt;
        return std::chrono::seconds(*n);
    }
    auto date = parse_http_date(value);
    if (!date) return std::nullopt;
    auto wait = std::chrono::duration_cast<config::Duration>(*date - now);
    if (wait > kMaxWait) return std::nullopt;
    return std::max(wait, config::Duration(0));
}

void RetryBudget::advance(Nanos now) {
    std::int64_t second = now / 1'000'000'000;
    if (second <= second_) return;
    // Clear the buckets of the seconds that passed (all of them after a long quiet spell).
    std::int64_t passed = std::min<std::int64_t>(second - second_, kWindow);
    for (std::int64_t s = second - passed + 1; s <= second; ++s) {
        requests_[s % kWindow] = 0;
        retries_[s % kWindow] = 0;
    }
    second_ = second;
}

void RetryBudget::record_request(Nanos now) {
    advance(now);
    ++requests_[second_ % kWindow];
}

bool RetryBudget::has_room(Nanos now) {
    advance(now);
    std::uint64_t requests = std::accumulate(requests_.begin(), requests_.end(), std::uint64_t{0});
    std::uint64_t retries = std::accumulate(retries_.begin(), retries_.end(), std::uint64_t{0});
    return retries < std::max<std::uint64_t>(kFloor, requests * kPercent / 100);
}

bool RetryBudget::try_retry(Nanos now) {
    if (!has_room(now)) return false;
    ++retries_[second_ % kWindow];
    return true;
}

bool RetryGate::allow(Failure failure, unsigned status, std::string_view retry_after,
                      Nanos now) {
    if (!armed_ || !retried_on(policy_, failure, status)) return false;
    random_ ^= random_ << 13;
    random_ ^= random_ >> 7;
    random_ ^= random_ << 17;
    wait_ = backoff_delay(policy_.backoff, retries_ + 1, random_);
    if (failure == Failure::status && (status == 429 || status == 503) && !retry_after.empty()) {
        auto after = parse_retry_after(retry_after, std::chrono::system_clock::now());
        if (after) wait_ = *after;
    }
    auto wait_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(wait_).count();
    if (now + wait_ns >= deadline_) return false;
    if (!budget_->try_retry(now)) return false;
    ++retries_;
    armed_ = false;
    return true;
}

}  // namespace gw::server
