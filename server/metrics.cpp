#include "server/metrics.h"

#include <cstdio>
#include <map>

namespace gw::server {
namespace {
constexpr auto kRelaxed = std::memory_order_relaxed;

std::size_t method_index(std::string_view m) {
    for (std::size_t i = 0; i + 1 < kMethods.size(); ++i)
        if (kMethods[i] == m) return i;
    return kMethods.size() - 1;
}

// Plain (non-atomic) sums across workers, for rendering.
struct HistogramSum {
    std::array<std::uint64_t, kLatencyBuckets.size()> buckets{};
    std::uint64_t count = 0;
    std::uint64_t sum_us = 0;
    void add(const Histogram& h) {
        for (std::size_t i = 0; i < buckets.size(); ++i) buckets[i] += h.buckets[i].load(kRelaxed);
        count += h.count.load(kRelaxed);
        sum_us += h.sum_us.load(kRelaxed);
    }
};

struct RouteSum {
    std::array<std::array<std::uint64_t, 5>, kMethods.size()> requests{};
    HistogramSum duration;
};

void render_histogram(std::string& out, std::string_view name, std::string_view label,
                      std::string_view value, const HistogramSum& h) {
    char num[64];
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i <= kLatencyBuckets.size(); ++i) {
        out += name;
        out += "_bucket{";
        out += label;
        out += "=\"";
        append_label_value(out, value);
        if (i < kLatencyBuckets.size()) {
            cumulative += h.buckets[i];
            std::snprintf(num, sizeof num, "\",le=\"%g\"} %llu\n", kLatencyBuckets[i],
                          static_cast<unsigned long long>(cumulative));
        } else {
            std::snprintf(num, sizeof num, "\",le=\"+Inf\"} %llu\n",
                          static_cast<unsigned long long>(h.count));
        }
        out += num;
    }
    for (auto [suffix, text] : {std::pair<std::string_view, int>{"_sum", 0}, {"_count", 1}}) {
        out += name;
        out += suffix;
        out += '{';
        out += label;
        out += "=\"";
        append_label_value(out, value);
        if (text == 0)
            std::snprintf(num, sizeof num, "\"} %.6f\n", double(h.sum_us) / 1e6);
        else
            std::snprintf(num, sizeof num, "\"} %llu\n", static_cast<unsigned long long>(h.count));
        out += num;
    }
}
}  // namespace

void append_label_value(std::string& out, std::string_view v) {
    for (char c : v) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') { out += "\\n"; continue; }
        out += c;
    }
}

void Histogram::observe(double seconds) {
    // One increment per observation: each bucket counts only its own range; render() adds
    // them up into Prometheus' cumulative buckets.
    for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i)
        if (seconds <= kLatencyBuckets[i]) {
            buckets[i].fetch_add(1, kRelaxed);
            break;
        }
    count.fetch_add(1, kRelaxed);
    sum_us.fetch_add(static_cast<std::uint64_t>(seconds * 1e6), kRelaxed);
}

template <class T>
T& WorkerMetrics::find_or_add(NameMap<T>& map, LastLookup<NameMap<T>>& last,
                              std::string_view name) {
    // Only this worker inserts, so an unlocked find cannot race with an insert.
    if (auto* found = last.find(map, name)) return **found;
    std::lock_guard lock(mutex_);
    return *last.remember(map.emplace(std::string(name), std::make_unique<T>()).first)->get();
}

void WorkerMetrics::record_request(std::string_view route, std::string_view method,
                                   unsigned status, double seconds) {
    RouteStats& s = find_or_add(routes_, last_route_, route);
    unsigned cls = status / 100;
    if (cls < 1 || cls > 5) cls = 5;
    s.requests[method_index(method)][cls - 1].fetch_add(1, kRelaxed);
    s.duration.observe(seconds);
}

void WorkerMetrics::record_upstream(std::string_view upstream, double seconds) {
    find_or_add(upstreams_, last_upstream_, upstream).duration.observe(seconds);
}

void WorkerMetrics::record_retry(std::string_view upstream) {
    find_or_add(upstreams_, last_upstream_, upstream).retries.fetch_add(1, kRelaxed);
}

Metrics::Metrics(std::size_t workers) {
    for (std::size_t i = 0; i < workers; ++i) workers_.push_back(std::make_unique<WorkerMetrics>());
}

std::int64_t Metrics::active_connections() const {
    std::int64_t n = 0;
    for (const auto& w : workers_) n += w->active_connections.load(kRelaxed);
    return n;
}

std::string Metrics::render() {
    std::map<std::string, RouteSum> routes;
    std::map<std::string, HistogramSum> upstreams;
    std::map<std::string, std::uint64_t> retries;
    for (auto& w : workers_) {
        std::lock_guard lock(w->mutex_);
        for (auto& [name, s] : w->routes_) {
            RouteSum& sum = routes[name];
            for (std::size_t m = 0; m < kMethods.size(); ++m)
                for (std::size_t c = 0; c < 5; ++c) sum.requests[m][c] += s->requests[m][c].load(kRelaxed);
            sum.duration.add(s->duration);
        }
        for (auto& [name, s] : w->upstreams_) {
            upstreams[name].add(s->duration);
            retries[name] += s->retries.load(kRelaxed);
        }
    }
    std::string out;
    out.reserve(4096);
    out += "# HELP gateway_requests_total Requests answered, by route, method and status class.\n"
           "# TYPE gateway_requests_total counter\n";
    char num[32];
    for (auto& [name, s] : routes)
        for (std::size_t m = 0; m < kMethods.size(); ++m)
            for (std::size_t c = 0; c < 5; ++c) {
                if (s.requests[m][c] == 0) continue;
                out += "gateway_requests_total{route=\"";
                append_label_value(out, name);
                out += "\",method=\"";
                out += kMethods[m];
                std::snprintf(num, sizeof num, "\",status_class=\"%zuxx\"} %llu\n", c + 1,
                              static_cast<unsigned long long>(s.requests[m][c]));
                out += num;
            }
    out += "# HELP gateway_request_duration_seconds Time from request head to response end.\n"
           "# TYPE gateway_request_duration_seconds histogram\n";
    for (auto& [name, s] : routes)
        render_histogram(out, "gateway_request_duration_seconds", "route", name, s.duration);
    out += "# HELP gateway_upstream_duration_seconds Time waiting for the upstream's answer.\n"
           "# TYPE gateway_upstream_duration_seconds histogram\n";
    for (auto& [name, h] : upstreams)
        render_histogram(out, "gateway_upstream_duration_seconds", "upstream", name, h);
    out += "# HELP gateway_upstream_retries_total Attempts repeated after a failed one.\n"
           "# TYPE gateway_upstream_retries_total counter\n";
    for (auto& [name, n] : retries) {
        out += "gateway_upstream_retries_total{upstream=\"";
        append_label_value(out, name);
        std::snprintf(num, sizeof num, "\"} %llu\n", static_cast<unsigned long long>(n));
        out += num;
    }
    std::snprintf(num, sizeof num, "%lld\n", static_cast<long long>(active_connections()));
    out += "# HELP gateway_active_connections Open downstream connections.\n"
           "# TYPE gateway_active_connections gauge\ngateway_active_connections ";
    out += num;
    out += "# HELP gateway_config_reloads_total Configuration reloads, by result.\n"
           "# TYPE gateway_config_reloads_total counter\n";
    std::snprintf(num, sizeof num, "%llu\n",
                  static_cast<unsigned long long>(reload_success_.load()));
    out += "gateway_config_reloads_total{result=\"success\"} ";
    out += num;
    std::snprintf(num, sizeof num, "%llu\n",
                  static_cast<unsigned long long>(reload_failure_.load()));
    out += "gateway_config_reloads_total{result=\"failure\"} ";
    out += num;
    if (extra_) extra_(out);
    return out;
}

}  // namespace gw::server
