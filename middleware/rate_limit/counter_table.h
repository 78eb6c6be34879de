// The process-wide table of GCRA counters behind `store: local`: one TAT per (limit, key),
// shared by every worker thread.
//
// Threads: any worker calls decide() and give_back() concurrently; the scraper reads
// forced_evictions(). The table is split into 64 shards by the key's top bits, each with its
// own small mutex held only for a probe of at most kProbe slots and a few arithmetic steps,
// so there is no global lock and two workers meet only when their keys share a shard.
//
// Memory is fixed at construction: max_keys slots of 16 bytes (default 2^18 keys = 4 MiB),
// never grown. A key lives in one of the kProbe slots after its home slot. A new key takes
// the first empty or idle slot there (idle: TAT in the past, which GCRA treats exactly like a
// key never seen, so forgetting it changes no decision). Only when all of them are busy does
// it evict the one closest to idle (smallest TAT); that forgets part of that key's usage and is
// counted in forced_evictions(). So a flood of distinct keys cannot grow memory; it can at
// worst loosen the limits of the keys it pushes out while the table is overfull.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>

#include "middleware/rate_limit/gcra.h"

namespace gw::middleware::rate_limit {

// Monotonic nanoseconds; injected so tests can drive time by hand.
using Clock = std::function<Nanos()>;
Nanos steady_now();

class CounterTable {
public:
    static constexpr std::size_t kShards = 64;
    static constexpr std::size_t kProbe = 16;
    static constexpr std::size_t kDefaultMaxKeys = std::size_t{1} << 18;

    // max_keys is rounded up to a power of two, at least kShards * kProbe.
    explicit CounterTable(std::size_t max_keys = kDefaultMaxKeys, Clock clock = steady_now);

    // One request for `key` (a well-mixed hash; 0 is mapped to another value) under `rate`.
    Decision decide(std::uint64_t key, const Rate& rate);
    // Undoes one allowed request for `key`, if the key is still in the table.
    void give_back(std::uint64_t key, const Rate& rate);

    std::size_t capacity() const { return kShards * shard_slots_; }
    // Keys whose TAT is still ahead of now (walks the whole table: tests and diagnostics).
    std::size_t busy_keys() const;
    std::uint64_t forced_evictions() const { return forced_.load(std::memory_order_relaxed); }

private:
    struct Slot {
        std::uint64_t key = 0;  // 0: never used
        Nanos tat = 0;
    };
    struct alignas(64) Shard {
        mutable std::mutex mutex;
        std::unique_ptr<Slot[]> slots;
    };

    Slot* find_or_claim(Shard& shard, std::uint64_t key, Nanos now);
    Slot* find(Shard& shard, std::uint64_t key);
    Shard& shard_of(std::uint64_t key) { return shards_[key >> 58]; }
    std::size_t home_of(std::uint64_t key) const { return key & (shard_slots_ - 1); }

    std::size_t shard_slots_;
    Clock clock_;
    std::unique_ptr<Shard[]> shards_;
    std::atomic<std::uint64_t> forced_{0};
};

}  // namespace gw::middleware::rate_limit
