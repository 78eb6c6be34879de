#include "stores/redis/metrics.h"

#include <cstdio>
#include <memory>
#include <mutex>
#include <vector>

namespace gw::stores::redis {
namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

struct AllStats {
    std::mutex mutex;  // guards the list only: registration and scrape
    std::vector<std::unique_ptr<RedisStats>> blocks;
};

AllStats& all() {
    static AllStats* stats = new AllStats;  // never destroyed: threads may outlive main's exit
    return *stats;
}

std::size_t reason_index(std::string_view reason) {
    for (std::size_t i = 0; i < kErrorReasons.size(); ++i)
        if (kErrorReasons[i] == reason) return i;
    return kErrorReasons.size() - 1;  // "io"
}

template <class F>
void each_block(F f) {
    std::lock_guard lock(all().mutex);
    for (const auto& b : all().blocks) f(*b);
}

void append_u64(std::string& out, const char* fmt, std::uint64_t v) {
    char num[64];
    std::snprintf(num, sizeof num, fmt, static_cast<unsigned long long>(v));
    out += num;
}

}  // namespace

void RedisStats::record_error(std::string_view reason) {
    errors[reason_index(reason)].fetch_add(1, kRelaxed);
}

void RedisStats::record_latency(double seconds) {
    for (std::size_t i = 0; i < kRedisLatencyBuckets.size(); ++i)
        if (seconds <= kRedisLatencyBuckets[i]) {
            buckets[i].fetch_add(1, kRelaxed);  // own range only; rendering accumulates
            break;
        }
    count.fetch_add(1, kRelaxed);
    sum_ns.fetch_add(static_cast<std::uint64_t>(seconds * 1e9), kRelaxed);
}

RedisStats& thread_stats() {
    thread_local RedisStats* mine = [] {
        std::lock_guard lock(all().mutex);
        all().blocks.push_back(std::make_unique<RedisStats>());
        return all().blocks.back().get();
    }();
    return *mine;
}

std::uint64_t total_errors(std::string_view reason) {
    std::uint64_t n = 0;
    each_block([&](const RedisStats& s) { n += s.errors[reason_index(reason)].load(kRelaxed); });
    return n;
}

std::uint64_t total_commands() {
    std::uint64_t n = 0;
    each_block([&](const RedisStats& s) { n += s.count.load(kRelaxed); });
    return n;
}

void render_metrics(std::string& out) {
    std::array<std::uint64_t, kErrorReasons.size()> errors{};
    std::array<std::uint64_t, kRedisLatencyBuckets.size()> buckets{};
    std::uint64_t count = 0, sum_ns = 0;
    each_block([&](const RedisStats& s) {
        for (std::size_t i = 0; i < errors.size(); ++i) errors[i] += s.errors[i].load(kRelaxed);
        for (std::size_t i = 0; i < buckets.size(); ++i) buckets[i] += s.buckets[i].load(kRelaxed);
        count += s.count.load(kRelaxed);
        sum_ns += s.sum_ns.load(kRelaxed);
    });
    out += "# HELP gateway_redis_errors_total Redis commands that failed, by reason.\n"
           "# TYPE gateway_redis_errors_total counter\n";
    for (std::size_t i = 0; i < errors.size(); ++i) {
        out += "gateway_redis_errors_total{reason=\"";
        out += kErrorReasons[i];
        append_u64(out, "\"} %llu\n", errors[i]);
    }
    out += "# HELP gateway_redis_latency_seconds Time from sending a Redis command to its reply.\n"
           "# TYPE gateway_redis_latency_seconds histogram\n";
    std::uint64_t cumulative = 0;
    char num[96];
    for (std::size_t i = 0; i < buckets.size(); ++i) {
        cumulative += buckets[i];
        std::snprintf(num, sizeof num, "gateway_redis_latency_seconds_bucket{le=\"%g\"} %llu\n",
                      kRedisLatencyBuckets[i], static_cast<unsigned long long>(cumulative));
        out += num;
    }
    append_u64(out, "gateway_redis_latency_seconds_bucket{le=\"+Inf\"} %llu\n", count);
    std::snprintf(num, sizeof num, "gateway_redis_latency_seconds_sum %.9f\n", sum_ns / 1e9);
    out += num;
    append_u64(out, "gateway_redis_latency_seconds_count %llu\n", count);
}

}  // namespace gw::stores::redis
