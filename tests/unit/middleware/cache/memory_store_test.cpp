// The memory store: LRU order, the byte bound per shard, replacement, purge, expiry.
#include <catch.hpp>

#include "middleware/cache/memory_store.h"

using namespace gw::middleware::cache;
using std::chrono::seconds;

namespace {

const SystemTime kNow = std::chrono::system_clock::now();

EntryPtr entry(std::size_t body_size, std::string route = "r", std::string path = "/p",
               Millis fresh_for = seconds(60)) {
    auto e = std::make_shared<Entry>();
    e->body = std::make_shared<const std::string>(body_size, 'x');
    e->route = std::move(route);
    e->path = std::move(path);
    e->stored_at = kNow;
    e->fresh_for = fresh_for;
    return e;
}

// Keys that land in one shard, so its share of the budget is what is tested.
std::vector<std::string> same_shard_keys(std::size_t n) {
    std::vector<std::string> keys;
    std::size_t want = std::hash<std::string_view>{}("k0000000") % MemoryStore::kShards;
    for (int i = 0; keys.size() < n; ++i) {
        char key[16];
        std::snprintf(key, sizeof key, "k%07d", i);
        if (std::hash<std::string_view>{}(key) % MemoryStore::kShards == want) keys.push_back(key);
    }
    return keys;
}

}  // namespace

TEST_CASE("a stored entry comes back as the same object", "[cache][store]") {
    MemoryStore store(1 << 20);
    auto e = entry(100);
    store.put_now("key", e);
    CHECK(store.get_now("key", kNow) == e);
    CHECK(store.get_now("other", kNow) == nullptr);
    CHECK(store.entries() == 1);
    CHECK(store.bytes() >= 100);
}

TEST_CASE("putting a key again replaces its entry and its bytes", "[cache][store]") {
    MemoryStore store(1 << 20);
    store.put_now("key", entry(1000));
    auto bytes = store.bytes();
    auto small = entry(10);
    store.put_now("key", small);
    CHECK(store.get_now("key", kNow) == small);
    CHECK(store.entries() == 1);
    CHECK(store.bytes() < bytes);
}

TEST_CASE("the byte bound evicts least recently used entries first", "[cache][store]") {
    // Each shard holds 16 KiB: about three 4 KiB entries.
    MemoryStore store(16 * 16 * 1024);
    auto keys = same_shard_keys(5);
    store.put_now(keys[0], entry(4000));
    store.put_now(keys[1], entry(4000));
    store.put_now(keys[2], entry(4000));
    REQUIRE(store.get_now(keys[0], kNow));  // touch: keys[1] is now the oldest
    store.put_now(keys[3], entry(4000));
    CHECK(store.get_now(keys[1], kNow) == nullptr);
    CHECK(store.get_now(keys[0], kNow) != nullptr);
    CHECK(store.get_now(keys[3], kNow) != nullptr);
    CHECK(store.bytes() <= 16 * 1024);
    CHECK(store.evictions().at("r") >= 1);
}

TEST_CASE("a flood of keys never exceeds max_bytes", "[cache][store]") {
    const std::size_t max = 256 * 1024;
    MemoryStore store(max);
    for (int i = 0; i < 5000; ++i) {
        store.put_now("key-" + std::to_string(i), entry(1000 + i % 700));
        REQUIRE(store.bytes() <= max);
    }
    CHECK(store.entries() > 50);
    std::uint64_t evicted = 0;
    for (const auto& [route, n] : store.evictions()) evicted += n;
    CHECK(evicted + store.entries() == 5000);
}

TEST_CASE("an entry larger than a shard's share is not kept", "[cache][store]") {
    MemoryStore store(16 * 1024);  // 1 KiB per shard
    store.put_now("big", entry(4000));
    CHECK(store.get_now("big", kNow) == nullptr);
    CHECK(store.bytes() == 0);
}

TEST_CASE("a smaller budget after reload applies at the next insert", "[cache][store]") {
    MemoryStore store(16 * 64 * 1024);
    auto keys = same_shard_keys(10);
    for (const auto& k : keys) store.put_now(k, entry(4000));
    store.set_max_bytes(16 * 8 * 1024);
    store.put_now("k-new", entry(10));
    for (const auto& k : same_shard_keys(1)) store.put_now(k, entry(4000));
    CHECK(store.bytes() <= 16 * 64 * 1024);
    std::size_t left = 0;
    for (const auto& k : keys) left += store.get_now(k, kNow) != nullptr;
    CHECK(left <= 2);
}

TEST_CASE("entries past any use are dropped on look-up", "[cache][store]") {
    MemoryStore store(1 << 20);
    store.put_now("old", entry(10, "r", "/p", seconds(1)));
    CHECK(store.get_now("old", kNow) != nullptr);
    CHECK(store.get_now("old", kNow + seconds(2)) == nullptr);
    CHECK(store.entries() == 0);
    // With a validator it stays: it can be revalidated cheaply.
    auto e = std::make_shared<Entry>(*entry(10, "r", "/p", seconds(1)));
    e->etag = "\"v\"";
    store.put_now("validated", e);
    CHECK(store.get_now("validated", kNow + seconds(3600)) != nullptr);
}

TEST_CASE("purge by route, by path prefix, or everything", "[cache][store]") {
    MemoryStore store(1 << 20);
    store.put_now("1", entry(10, "orders", "/api/orders/1"));
    store.put_now("2", entry(10, "orders", "/api/orders/2"));
    store.put_now("3", entry(10, "users", "/api/users/1"));
    store.put_now("4", entry(10, "users", "/api/orders-legacy"));
    CHECK(store.purge_now({"", "/api/orders/"}) == 2);
    CHECK(store.get_now("4", kNow) != nullptr);
    CHECK(store.purge_now({"users", "/api/users"}) == 1);
    CHECK(store.purge_now({"nobody", ""}) == 0);
    CHECK(store.purge_now({}) == 1);
    CHECK(store.entries() == 0);
    CHECK(store.bytes() == 0);
}
