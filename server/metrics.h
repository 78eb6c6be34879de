// Prometheus metrics. Each worker owns a WorkerMetrics and is its only writer; values are
// relaxed atomics so the admin thread can read them while summing at scrape time. A worker
// takes its own mutex only when it first meets a new route or upstream name (map insert); the
// scraper takes it to walk the maps. Nothing is locked per request.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "server/last_lookup.h"

namespace gw::server {

inline constexpr std::array<double, 13> kLatencyBuckets = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
inline constexpr std::array<std::string_view, 8> kMethods = {
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "OTHER"};

// Appends v escaped for a Prometheus label value (backslash, quote, newline).
void append_label_value(std::string& out, std::string_view v);

struct Histogram {
    std::array<std::atomic<std::uint64_t>, kLatencyBuckets.size()> buckets{};
    std::atomic<std::uint64_t> count{0};
    std::atomic<std::uint64_t> sum_us{0};
    void observe(double seconds);
};

struct RouteStats {
    // requests[method][status class 1xx..5xx]
    std::array<std::array<std::atomic<std::uint64_t>, 5>, kMethods.size()> requests{};
    Histogram duration;
};

struct UpstreamStats {
    Histogram duration;
    std::atomic<std::uint64_t> retries{0};
};

struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

class WorkerMetrics {
public:
    void record_request(std::string_view route, std::string_view method, unsigned status,
                        double seconds);
    void record_upstream(std::string_view upstream, double seconds);
    void record_retry(std::string_view upstream);
    std::atomic<std::int64_t> active_connections{0};

private:
    friend class Metrics;
    template <class T>
    using NameMap = std::unordered_map<std::string, std::unique_ptr<T>, StringHash, std::equal_to<>>;
    template <class T>
    T& find_or_add(NameMap<T>& map, LastLookup<NameMap<T>>& last, std::string_view name);

    std::mutex mutex_;  // guards map structure only (inserts vs. scrape)
    NameMap<RouteStats> routes_;
    NameMap<UpstreamStats> upstreams_;
    LastLookup<NameMap<RouteStats>> last_route_;
    LastLookup<NameMap<UpstreamStats>> last_upstream_;
};

class Metrics {
public:
    explicit Metrics(std::size_t workers);
    WorkerMetrics& worker(std::size_t i) { return *workers_[i]; }
    void record_reload(bool ok) { (ok ? reload_success_ : reload_failure_).fetch_add(1); }
    std::int64_t active_connections() const;
    std::string render();  // Prometheus text exposition format
    // More text appended by render(): the steps' own metrics (middleware::Registry). Set once,
    // before the workers start.
    void set_extra(std::function<void(std::string&)> fn) { extra_ = std::move(fn); }

private:
    std::function<void(std::string&)> extra_;
    std::vector<std::unique_ptr<WorkerMetrics>> workers_;
    std::atomic<std::uint64_t> reload_success_{0};
    std::atomic<std::uint64_t> reload_failure_{0};
};

}  // namespace gw::server
