// The Redis store (`store: redis` on a route's cache): entries shared by every gateway
// instance that uses the same Redis database.
//
// Key layout (kKeyPrefix = "gw:cache:"):
//   gw:cache:e:<key>   the entry (entry_codec.h), SET with PX = keep_for(): the time it stays
//                      usable (freshness + stale_if_error), plus a revalidation window for
//                      entries with validators and for Vary markers
//   gw:cache:index     a sorted set of every stored entry: member "<route>\0<path>\0<key>",
//                      score the entry's expiry in Redis' clock (ms). Purges by route and by
//                      path prefix ZSCAN it with MATCH and UNLINK what they find; each put
//                      drops members already expired, so it holds about the live entries.
// A put is one script (SET PX, ZADD, trim) run atomically with Redis' own TIME, so gateway
// clocks do not matter for expiry.
//
// Failures: a Redis error or timeout (redis.timeout) makes get a miss and drops the put; a
// value that does not decode is a miss. Each is counted (RedisStoreStats, /metrics). So a
// Redis outage costs upstream calls, never an error for the caller.
//
// Threads: one RedisStore per route, made at load, immutable, shared by every worker; each call
// uses the calling thread's RedisClient (stores/redis/worker_clients.h), so workers share no
// connection and take no lock. The admin (control) thread purges through its own client.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/types.h"
#include "middleware/cache/store.h"

namespace gw::middleware::cache {

inline constexpr std::string_view kKeyPrefix = "gw:cache:";
inline constexpr std::string_view kIndexKey = "gw:cache:index";
// How long past its usable life an entry with validators (or a Vary marker) stays at least,
// so that a later request can revalidate it with a 304 instead of a full transfer.
inline constexpr Millis kRevalidationFloor{60'000};

// What failed, for gateway_cache_redis_errors_total{op}. Relaxed atomics: any worker adds
// (only when something fails), the admin thread reads. Lives in SharedCache (reloads keep it).
struct RedisStoreStats {
    enum Op { get, put, purge, decode, kOps };
    static constexpr std::array<std::string_view, kOps> kNames{"get", "put", "purge", "decode"};
    std::array<std::atomic<std::uint64_t>, kOps> errors{};
    void add(Op op) { errors[op].fetch_add(1, std::memory_order_relaxed); }
};

class RedisStore : public Store {
public:
    RedisStore(config::RedisConfig redis, std::shared_ptr<RedisStoreStats> stats);

    boost::asio::awaitable<EntryPtr> get(std::string key) override;
    boost::asio::awaitable<void> put(std::string key, EntryPtr entry) override;
    // The number purged; 0 when Redis failed (see purge_checked).
    boost::asio::awaitable<std::size_t> purge(PurgeFilter filter) override;
    // The number purged, or nullopt when Redis failed part way (some may be gone).
    boost::asio::awaitable<std::optional<std::size_t>> purge_checked(PurgeFilter filter);

    // How long Redis keeps `e` stored at `now`; zero: not worth storing.
    static Millis keep_for(const Entry& e, SystemTime now);
    // The index member of an entry, and the MATCH pattern of a purge filter ("" matches all).
    static std::string index_member(std::string_view route, std::string_view path,
                                    std::string_view key);
    static std::string match_pattern(const PurgeFilter& filter);

private:
    boost::asio::awaitable<std::optional<std::size_t>> purge_batch(
        const std::vector<std::string>& members);

    const config::RedisConfig redis_;
    std::shared_ptr<RedisStoreStats> stats_;
};

}  // namespace gw::middleware::cache
