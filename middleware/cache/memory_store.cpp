#include "middleware/cache/memory_store.h"

namespace gw::middleware::cache {

MemoryStore::MemoryStore(std::size_t max_bytes) : max_bytes_(max_bytes) {}

void MemoryStore::set_max_bytes(std::size_t max_bytes) {
    max_bytes_.store(max_bytes, std::memory_order_relaxed);
}

MemoryStore::Shard& MemoryStore::shard_for(std::string_view key) {
    // Keys are hex digests: their first characters are already uniformly spread.
    return shards_[std::hash<std::string_view>{}(key.substr(0, 8)) % kShards];
}

void MemoryStore::erase(Shard& s, std::list<Node>::iterator it) {
    s.bytes -= it->charge;
    s.index.erase(it->key);
    s.lru.erase(it);
}

EntryPtr MemoryStore::get_now(const std::string& key, SystemTime now) {
    Shard& s = shard_for(key);
    std::lock_guard lock(s.mutex);
    auto found = s.index.find(key);
    if (found == s.index.end()) return nullptr;
    auto it = found->second;
    if (!it->entry->worth_keeping(now)) {
        erase(s, it);
        return nullptr;
    }
    s.lru.splice(s.lru.begin(), s.lru, it);
    return it->entry;
}

void MemoryStore::put_now(std::string key, EntryPtr entry) {
    const std::size_t charge = entry->charge() + key.size();
    const std::size_t budget = max_bytes() / kShards;
    Shard& s = shard_for(key);
    EntryPtr replaced;  // released after the lock: its destructor may free a large body
    std::lock_guard lock(s.mutex);
    if (auto found = s.index.find(key); found != s.index.end()) {
        replaced = found->second->entry;
        erase(s, found->second);
    }
    if (charge > budget) return;
    while (s.bytes + charge > budget && !s.lru.empty()) {
        auto last = std::prev(s.lru.end());
        auto route = s.evictions.find(last->entry->route);
        if (route == s.evictions.end()) route = s.evictions.emplace(last->entry->route, 0).first;
        ++route->second;
        erase(s, last);
    }
    s.lru.push_front(Node{std::move(key), std::move(entry), charge});
    s.index.emplace(s.lru.front().key, s.lru.begin());
    s.bytes += charge;
}

std::size_t MemoryStore::purge_now(const PurgeFilter& filter) {
    std::size_t purged = 0;
    for (auto& s : shards_) {
        std::lock_guard lock(s.mutex);
        for (auto it = s.lru.begin(); it != s.lru.end();) {
            const Entry& e = *it->entry;
            bool match = (filter.route.empty() || e.route == filter.route) &&
                         e.path.compare(0, filter.path_prefix.size(), filter.path_prefix) == 0;
            auto next = std::next(it);
            if (match) {
                erase(s, it);
                ++purged;
            }
            it = next;
        }
    }
    return purged;
}

boost::asio::awaitable<EntryPtr> MemoryStore::get(std::string key) {
    co_return get_now(key, std::chrono::system_clock::now());
}

boost::asio::awaitable<void> MemoryStore::put(std::string key, EntryPtr entry) {
    put_now(std::move(key), std::move(entry));
    co_return;
}

boost::asio::awaitable<std::size_t> MemoryStore::purge(PurgeFilter filter) {
    co_return purge_now(filter);
}

std::size_t MemoryStore::bytes() const {
    std::size_t n = 0;
    for (const auto& s : shards_) {
        std::lock_guard lock(s.mutex);
        n += s.bytes;
    }
    return n;
}

std::size_t MemoryStore::entries() const {
    std::size_t n = 0;
    for (const auto& s : shards_) {
        std::lock_guard lock(s.mutex);
        n += s.lru.size();
    }
    return n;
}

std::map<std::string, std::uint64_t> MemoryStore::evictions() const {
    std::map<std::string, std::uint64_t> out;
    for (const auto& s : shards_) {
        std::lock_guard lock(s.mutex);
        for (const auto& [route, n] : s.evictions) out[route] += n;
    }
    return out;
}

}  // namespace gw::middleware::cache
