// Answers of an OAuth2 introspection endpoint, by token, for `cache` seconds and never past the
// token's own exp. Keyed by the SHA-256 of the token, so the cache holds no bearer tokens.
// Shared by every worker: 16 shards, each a mutex held only for one map look-up or insert;
// bounded to max_entries (expired entries go first, then any).
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace gw::middleware::auth {

struct IntrospectionAnswer {
    bool active = false;
    std::int64_t token_exp = 0;  // the token's exp, 0 when the provider gave none
    std::string subject;
    std::vector<std::string> scopes;
    std::string client_id;
};

class IntrospectionCache {
public:
    using Key = std::array<unsigned char, 32>;

    explicit IntrospectionCache(std::size_t max_entries);

    static Key key_of(std::string_view token);
    // The answer stored for key while `now` (Unix seconds) is before its expiry.
    std::optional<IntrospectionAnswer> find(const Key& key, std::int64_t now);
    void store(const Key& key, IntrospectionAnswer answer, std::int64_t expires,
               std::int64_t now);
    std::size_t size();

    struct KeyHash {
        std::size_t operator()(const Key& k) const;
    };

private:
    struct Entry {
        IntrospectionAnswer answer;
        std::int64_t expires = 0;
    };
    struct Shard {
        std::mutex mutex;
        std::unordered_map<Key, Entry, KeyHash> entries;
    };
    static constexpr std::size_t kShards = 16;

    Shard& shard(const Key& k) { return shards_[k[0] % kShards]; }

    std::array<Shard, kShards> shards_;
    const std::size_t max_per_shard_;
};

}  // namespace gw::middleware::auth
