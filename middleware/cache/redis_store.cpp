#include "middleware/cache/redis_store.h"

#include <vector>

#include <boost/asio/this_coro.hpp>

#include "middleware/cache/entry_codec.h"
#include "stores/redis/worker_clients.h"

namespace gw::middleware::cache {
namespace {

namespace asio = boost::asio;
using stores::redis::Args;
using stores::redis::RedisReply;
using stores::redis::RedisScript;

constexpr char kSeparator = '\0';  // in index members: no route name or path holds a NUL
constexpr std::string_view kScanCount = "256";

// KEYS: entry key, index. ARGV: value, px, index member. Expiry in Redis' clock.
const RedisScript& put_script() {
    static const RedisScript script(R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
return 1
)lua");
    return script;
}

// KEYS: index, then the entry keys of the members in ARGV (same order). The number unlinked:
// members whose entry had expired already do not count.
const RedisScript& purge_script() {
    static const RedisScript script(R"lua(
local n = 0
for i = 2, #KEYS do
  n = n + redis.call('UNLINK', KEYS[i])
  redis.call('ZREM', KEYS[1], ARGV[i - 1])
end
return n
)lua");
    return script;
}

std::string entry_key(std::string_view key) {
    std::string k;
    k.reserve(kKeyPrefix.size() + 2 + key.size());
    k.append(kKeyPrefix).append("e:").append(key);
    return k;
}

// Redis MATCH is a glob: * ? [ ] and \ are escaped with a backslash.
void append_glob_escaped(std::string& out, std::string_view text) {
    for (char c : text) {
        if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out += '\\';
        out += c;
    }
}

// The members of a ZSCAN page ([member, score, member, score, ...]).
void collect_members(RedisReply& page, std::vector<std::string>& out) {
    for (std::size_t i = 0; i < page.elements.size(); i += 2)
        out.push_back(std::move(page.elements[i].str));
}

bool scan_page_ok(const RedisReply& r) {
    return !r.failed() && r.type == RedisReply::Type::array && r.elements.size() == 2 &&
           r.elements[1].type == RedisReply::Type::array;
}

}  // namespace

RedisStore::RedisStore(config::RedisConfig redis, std::shared_ptr<RedisStoreStats> stats)
    : redis_(std::move(redis)), stats_(std::move(stats)) {}

Millis RedisStore::keep_for(const Entry& e, SystemTime now) {
    Millis usable = e.fresh_for + (e.must_revalidate ? Millis(0) : e.stale_if_error) - e.age(now);
    usable = std::max(usable, Millis(0));
    if (e.has_validator() || e.vary_marker) usable += std::max(e.fresh_for, kRevalidationFloor);
    return usable;
}

std::string RedisStore::index_member(std::string_view route, std::string_view path,
                                     std::string_view key) {
    std::string m;
    m.reserve(route.size() + path.size() + key.size() + 2);
    m.append(route).append(1, kSeparator).append(path).append(1, kSeparator).append(key);
    return m;
}

std::string RedisStore::match_pattern(const PurgeFilter& filter) {
    if (filter.route.empty() && filter.path_prefix.empty()) return {};
    std::string p;
    // Without a route: "*" spans the route; the NUL after it must then be followed by the
    // prefix, which only the path (never the hex key after the second NUL) can be.
    if (filter.route.empty()) p += '*';
    append_glob_escaped(p, filter.route);
    p += kSeparator;
    append_glob_escaped(p, filter.path_prefix);
    p += '*';
    return p;
}

asio::awaitable<EntryPtr> RedisStore::get(std::string key) {
    auto client = stores::redis::client_for(redis_, co_await asio::this_coro::executor);
    const std::string k = entry_key(key);
    RedisReply r = co_await client->command("GET", k);
    if (r.failed()) {
        stats_->add(RedisStoreStats::get);
        co_return nullptr;
    }
    if (r.type != RedisReply::Type::string) co_return nullptr;  // nil: not stored
    EntryPtr e = decode_entry(std::move(r.str));
    if (!e) {
        stats_->add(RedisStoreStats::decode);
        co_return nullptr;
    }
    if (!e->worth_keeping(std::chrono::system_clock::now())) co_return nullptr;
    co_return e;
}

asio::awaitable<void> RedisStore::put(std::string key, EntryPtr entry) {
    const Millis px = keep_for(*entry, std::chrono::system_clock::now());
    if (px <= Millis(0)) co_return;
    const std::string value = encode_entry(*entry);
    const std::string member = index_member(entry->route, entry->path, key);
    const std::string k = entry_key(key);
    const std::string px_text = std::to_string(px.count());
    entry.reset();  // the body is in `value` now; do not hold it across the round trip
    auto client = stores::redis::client_for(redis_, co_await asio::this_coro::executor);
    const std::array<std::string_view, 2> keys{k, kIndexKey};
    const std::array<std::string_view, 3> args{value, px_text, member};
    RedisReply r = co_await client->eval_script(put_script(), keys, args);
    if (r.failed()) stats_->add(RedisStoreStats::put);
}

asio::awaitable<std::size_t> RedisStore::purge(PurgeFilter filter) {
    auto n = co_await purge_checked(std::move(filter));
    co_return n.value_or(0);
}

asio::awaitable<std::optional<std::size_t>> RedisStore::purge_checked(PurgeFilter filter) {
    auto client = stores::redis::client_for(redis_, co_await asio::this_coro::executor);
    const std::string pattern = match_pattern(filter);
    std::string cursor = "0";
    std::size_t purged = 0;
    do {
        std::vector<std::string_view> argv{"ZSCAN", kIndexKey, cursor};
        if (!pattern.empty()) argv.insert(argv.end(), {"MATCH", pattern});
        argv.insert(argv.end(), {"COUNT", kScanCount});
        RedisReply page = co_await client->command(Args(argv));
        if (!scan_page_ok(page)) {
            stats_->add(RedisStoreStats::purge);
            co_return std::nullopt;
        }
        cursor = std::move(page.elements[0].str);
        std::vector<std::string> members;
        collect_members(page.elements[1], members);
        if (members.empty()) continue;
        auto n = co_await purge_batch(members);
        if (!n) co_return std::nullopt;
        purged += *n;
    } while (cursor != "0");
    co_return purged;
}

asio::awaitable<std::optional<std::size_t>> RedisStore::purge_batch(
    const std::vector<std::string>& members) {
    std::vector<std::string> keys;
    keys.reserve(members.size());
    for (const auto& m : members) keys.push_back(entry_key(m.substr(m.rfind(kSeparator) + 1)));
    std::vector<std::string_view> key_views{kIndexKey};
    key_views.insert(key_views.end(), keys.begin(), keys.end());
    std::vector<std::string_view> arg_views(members.begin(), members.end());
    auto client = stores::redis::client_for(redis_, co_await asio::this_coro::executor);
    RedisReply r = co_await client->eval_script(purge_script(), key_views, arg_views);
    if (r.failed() || r.type != RedisReply::Type::integer) {
        stats_->add(RedisStoreStats::purge);
        co_return std::nullopt;
    }
    co_return static_cast<std::size_t>(r.integer);
}

}  // namespace gw::middleware::cache
