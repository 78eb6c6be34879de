#include "middleware/rate_limit/counter_table.h"

#include <bit>

namespace gw::middleware::rate_limit {
namespace {

static_assert(CounterTable::kShards == 64, "shard_of takes the top 6 bits");

std::uint64_t nonzero(std::uint64_t key) { return key == 0 ? 1 : key; }

}  // namespace

Nanos steady_now() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

CounterTable::CounterTable(std::size_t max_keys, Clock clock)
    : shard_slots_(std::bit_ceil(std::max(max_keys / kShards, kProbe))),
      clock_(std::move(clock)),
      shards_(new Shard[kShards]) {
    for (std::size_t i = 0; i < kShards; ++i) shards_[i].slots.reset(new Slot[shard_slots_]);
}

// Keys are never removed, only overwritten, so no key sits past an empty slot of its probe
// window: the scan may stop at the first empty slot.
CounterTable::Slot* CounterTable::find_or_claim(Shard& shard, std::uint64_t key, Nanos now) {
    const std::size_t mask = shard_slots_ - 1;
    const std::size_t home = home_of(key);
    Slot* free = nullptr;
    Slot* oldest = nullptr;
    for (std::size_t i = 0; i < kProbe; ++i) {
        Slot& s = shard.slots[(home + i) & mask];
        if (s.key == key) return &s;
        if (s.key == 0) {
            if (!free) free = &s;
            break;
        }
        if (s.tat <= now) {
            if (!free) free = &s;
        } else if (!oldest || s.tat < oldest->tat) {
            oldest = &s;
        }
    }
    Slot* slot = free;
    if (!slot) {
        slot = oldest;
        forced_.fetch_add(1, std::memory_order_relaxed);
    }
    slot->key = key;
    slot->tat = 0;  // a fresh key
    return slot;
}

CounterTable::Slot* CounterTable::find(Shard& shard, std::uint64_t key) {
    const std::size_t mask = shard_slots_ - 1;
    const std::size_t home = home_of(key);
    for (std::size_t i = 0; i < kProbe; ++i) {
        Slot& s = shard.slots[(home + i) & mask];
        if (s.key == key) return &s;
        if (s.key == 0) break;
    }
    return nullptr;
}

Decision CounterTable::decide(std::uint64_t key, const Rate& rate) {
    key = nonzero(key);
    Shard& shard = shard_of(key);
    const Nanos now = clock_();
    std::lock_guard lock(shard.mutex);
    Slot* slot = find_or_claim(shard, key, now);
    return gcra_decide(slot->tat, rate, now);
}

void CounterTable::give_back(std::uint64_t key, const Rate& rate) {
    key = nonzero(key);
    Shard& shard = shard_of(key);
    std::lock_guard lock(shard.mutex);
    if (Slot* slot = find(shard, key)) gcra_give_back(slot->tat, rate);
}

std::size_t CounterTable::busy_keys() const {
    const Nanos now = clock_();
    std::size_t n = 0;
    for (std::size_t i = 0; i < kShards; ++i) {
        std::lock_guard lock(shards_[i].mutex);
        for (std::size_t j = 0; j < shard_slots_; ++j) {
            const Slot& s = shards_[i].slots[j];
            if (s.key != 0 && s.tat > now) ++n;
        }
    }
    return n;
}

}  // namespace gw::middleware::rate_limit
