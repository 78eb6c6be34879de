// Redis client metrics: gateway_redis_errors_total{reason} and the latency histogram
// gateway_redis_latency_seconds. Each thread that runs a client (a worker) writes its own
// block of relaxed atomics, found through a thread_local pointer: nothing is locked per
// command. A block is registered once per thread (under a mutex) and kept for the process'
// life, so counts survive the thread; the admin thread sums all blocks at scrape time.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/system/error_code.hpp>

namespace gw::stores::redis {

inline constexpr std::array<std::string_view, 8> kErrorReasons = {
    "timeout", "unavailable", "disconnected", "connect", "protocol", "overloaded", "reply", "io"};
// Redis answers in well under a millisecond when healthy: finer buckets than the request ones.
inline constexpr std::array<double, 12> kRedisLatencyBuckets = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1};

struct RedisStats {
    std::array<std::atomic<std::uint64_t>, kErrorReasons.size()> errors{};
    std::array<std::atomic<std::uint64_t>, kRedisLatencyBuckets.size()> buckets{};
    std::atomic<std::uint64_t> count{0};
    std::atomic<std::uint64_t> sum_ns{0};

    // `reason` is reason(ec) for failures; latency is recorded for every command answered.
    void record_error(std::string_view reason);
    void record_latency(double seconds);
};

// This thread's block (registered on first use).
RedisStats& thread_stats();
// Sum of every thread's counters, for tests and render_metrics.
std::uint64_t total_errors(std::string_view reason);
std::uint64_t total_commands();
// Appends the Prometheus text of both metrics to `out`; the redis: section registers it with
// the Registry, so /metrics shows it whenever Redis is configured.
void render_metrics(std::string& out);

}  // namespace gw::stores::redis
