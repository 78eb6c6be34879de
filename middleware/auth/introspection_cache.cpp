#include "middleware/auth/introspection_cache.h"

#include <algorithm>
#include <cstring>

#include "middleware/auth/digest.h"

namespace gw::middleware::auth {

IntrospectionCache::IntrospectionCache(std::size_t max_entries)
    : max_per_shard_(std::max<std::size_t>(1, max_entries / kShards)) {}

std::size_t IntrospectionCache::KeyHash::operator()(const Key& k) const {
    std::size_t h = 0;
    std::memcpy(&h, k.data() + 8, sizeof h);  // a digest: any 8 bytes are uniform
    return h;
}

IntrospectionCache::Key IntrospectionCache::key_of(std::string_view token) {
    return sha256(token);
}

std::optional<IntrospectionAnswer> IntrospectionCache::find(const Key& key, std::int64_t now) {
    Shard& s = shard(key);
    std::lock_guard lock(s.mutex);
    auto it = s.entries.find(key);
    if (it == s.entries.end()) return std::nullopt;
    if (now >= it->second.expires) {
        s.entries.erase(it);
        return std::nullopt;
    }
    return it->second.answer;
}

void IntrospectionCache::store(const Key& key, IntrospectionAnswer answer,
                               std::int64_t expires, std::int64_t now) {
    if (expires <= now) return;
    Shard& s = shard(key);
    std::lock_guard lock(s.mutex);
    if (s.entries.size() >= max_per_shard_ && !s.entries.contains(key)) {
        std::erase_if(s.entries, [now](const auto& e) { return now >= e.second.expires; });
        if (s.entries.size() >= max_per_shard_) s.entries.erase(s.entries.begin());
    }
    s.entries.insert_or_assign(key, Entry{std::move(answer), expires});
}

std::size_t IntrospectionCache::size() {
    std::size_t n = 0;
    for (auto& s : shards_) {
        std::lock_guard lock(s.mutex);
        n += s.entries.size();
    }
    return n;
}

}  // namespace gw::middleware::auth
