#include "middleware/cache/shared_cache.h"

namespace gw::middleware::cache {
namespace {

void append_counter(std::string& out, std::string_view name, std::string_view help,
                    const std::map<std::string, std::uint64_t>& by_route) {
    out += "# HELP ";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE ";
    out += name;
    out += " counter\n";
    for (const auto& [route, n] : by_route) {
        out += name;
        out += "{route=\"";
        for (char c : route) {
            if (c == '\\' || c == '"') out += '\\';
            if (c == '\n') { out += "\\n"; continue; }
            out += c;
        }
        out += "\"} ";
        out += std::to_string(n);
        out += '\n';
    }
}

}  // namespace

std::shared_ptr<SharedCache> shared_cache(Registry& registry) {
    auto cache = registry.state<SharedCache>("cache");
    registry.add_metrics("cache", [cache](std::string& out) { out += render_metrics(*cache); });
    return cache;
}

std::string render_metrics(const SharedCache& cache) {
    auto totals = cache.stats.totals();
    std::string out;
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 3> kOutcomes{{
        {"gateway_cache_hits_total", "Requests answered from the cache."},
        {"gateway_cache_misses_total", "Cacheable requests that went to the upstream."},
        {"gateway_cache_bypass_total", "Requests the cache did not handle (method, no-store)."},
    }};
    for (std::size_t i = 0; i < kOutcomes.size(); ++i) {
        std::map<std::string, std::uint64_t> by_route;
        for (const auto& [route, counts] : totals) by_route[route] = counts[i];
        append_counter(out, kOutcomes[i].first, kOutcomes[i].second, by_route);
    }
    append_counter(out, "gateway_cache_evictions_total",
                   "Entries evicted to stay within cache.max_bytes.", cache.memory.evictions());
    out += "# HELP gateway_cache_bytes Bytes held by the memory cache.\n"
           "# TYPE gateway_cache_bytes gauge\ngateway_cache_bytes ";
    out += std::to_string(cache.memory.bytes());
    out += "\n# HELP gateway_cache_entries Entries held by the memory cache.\n"
           "# TYPE gateway_cache_entries gauge\ngateway_cache_entries ";
    out += std::to_string(cache.memory.entries());
    out += "\n# HELP gateway_cache_redis_errors_total Redis store failures: a get became a miss, "
           "a put or a purge was dropped, a stored value did not decode.\n"
           "# TYPE gateway_cache_redis_errors_total counter\n";
    for (std::size_t op = 0; op < RedisStoreStats::kOps; ++op) {
        out += "gateway_cache_redis_errors_total{op=\"";
        out += RedisStoreStats::kNames[op];
        out += "\"} ";
        out += std::to_string(cache.redis_stats.errors[op].load(std::memory_order_relaxed));
        out += '\n';
    }
    return out;
}

}  // namespace gw::middleware::cache
