// The memory store: one per process, shared by every worker and every route with
// `store: memory`, bounded by `cache.max_bytes`.
//
// Threads: any worker calls get/put, the admin (control) thread calls purge and the readers of
// sizes. The store is split in kShards shards by key; each has its own mutex, held only for a
// map look-up, an LRU splice or an insert with its evictions. Entries are shared_ptr<const>, so
// a hit leaves the lock with a reference and its body is written without copying or locking.
// The byte budget is split evenly over the shards: an entry larger than one shard's share
// (max_bytes / kShards) is not kept.
#pragma once

#include <atomic>
#include <list>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "middleware/cache/store.h"

namespace gw::middleware::cache {

class MemoryStore : public Store {
public:
    static constexpr std::size_t kShards = 16;

    explicit MemoryStore(std::size_t max_bytes);

    // Reload may change the budget; shards over it shrink at their next insert.
    void set_max_bytes(std::size_t max_bytes);
    std::size_t max_bytes() const { return max_bytes_.load(std::memory_order_relaxed); }

    // The synchronous operations behind the Store interface (and the unit tests). `now` drops
    // entries past any use.
    EntryPtr get_now(const std::string& key, SystemTime now);
    void put_now(std::string key, EntryPtr entry);
    std::size_t purge_now(const PurgeFilter& filter);

    boost::asio::awaitable<EntryPtr> get(std::string key) override;
    bool get_at_once(const std::string& key, EntryPtr& out) override {
        out = get_now(key, std::chrono::system_clock::now());
        return true;
    }
    boost::asio::awaitable<void> put(std::string key, EntryPtr entry) override;
    bool put_at_once(std::string& key, EntryPtr& entry) override {
        put_now(std::move(key), std::move(entry));
        return true;
    }
    boost::asio::awaitable<std::size_t> purge(PurgeFilter filter) override;

    std::size_t bytes() const;
    std::size_t entries() const;
    // Entries evicted to make room (not purges or expiries), by route; for /metrics.
    std::map<std::string, std::uint64_t> evictions() const;

private:
    struct Node {
        std::string key;
        EntryPtr entry;
        std::size_t charge;
    };
    struct Shard {
        mutable std::mutex mutex;
        std::list<Node> lru;  // front: most recently used
        std::unordered_map<std::string_view, std::list<Node>::iterator> index;  // keys in lru
        std::size_t bytes = 0;
        std::map<std::string, std::uint64_t, std::less<>> evictions;
    };

    Shard& shard_for(std::string_view key);
    static void erase(Shard& s, std::list<Node>::iterator it);

    std::atomic<std::size_t> max_bytes_;
    Shard shards_[kShards];
};

}  // namespace gw::middleware::cache
