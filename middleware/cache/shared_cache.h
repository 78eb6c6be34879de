// The response cache's process-wide state, kept in middleware::Registry so a reload keeps the
// entries, the flights in progress and the counters: the memory store, the collapsing table,
// the per-route counters and the Redis store's error counters (the Redis stores themselves
// belong to the routes' steps: they hold the redis: settings of their snapshot). Each member
// is thread-safe and says how (see their headers).
//
// On reload, entries stay where they are: a route that keeps its name and key shape (host,
// path, vary list) keeps serving its entries until they expire, with the headers they were
// stored with; a changed `ttl` or `stale_if_error` applies to entries stored from then on. Use
// `DELETE /cache?route=NAME` on the admin listener to drop a route's entries at once.
#pragma once

#include <cstddef>
#include <string>

#include "middleware/cache/cache_stats.h"
#include "middleware/cache/flights.h"
#include "middleware/cache/memory_store.h"
#include "middleware/cache/redis_store.h"
#include "middleware/registry.h"

namespace gw::middleware::cache {

using middleware::Registry;

inline constexpr std::size_t kDefaultMaxBytes = 256u * 1024 * 1024;

struct SharedCache {
    MemoryStore memory{kDefaultMaxBytes};
    Flights flights;
    CacheStats stats;
    RedisStoreStats redis_stats;
};

// The process's SharedCache, kept in the registry (made on first use, with its metrics added to
// /metrics). Loads and the admin endpoints only: the control thread.
std::shared_ptr<SharedCache> shared_cache(Registry& registry);

// Prometheus text for the cache: gateway_cache_{hits,misses,bypass,evictions}_total{route},
// gateway_cache_bytes, gateway_cache_entries and gateway_cache_redis_errors_total{op}.
std::string render_metrics(const SharedCache& cache);

}  // namespace gw::middleware::cache
