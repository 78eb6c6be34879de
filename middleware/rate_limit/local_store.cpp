#include "middleware/rate_limit/local_store.h"

#include <random>

#include <boost/container_hash/hash.hpp>

namespace gw::middleware::rate_limit {
namespace {

std::uint64_t random_seed() {
    std::random_device rd;
    return (std::uint64_t{rd()} << 32) ^ rd();
}

}  // namespace

LocalStore::LocalStore(std::size_t max_keys, Clock clock)
    : seed_(random_seed()), table_(max_keys, std::move(clock)) {}

std::uint64_t LocalStore::hash(const Limit& limit, const Key& key) const {
    static_assert(sizeof(std::size_t) == 8, "a 64-bit hash is assumed");
    std::size_t h = seed_;
    boost::hash_combine(h, limit.id);
    // The kind keeps a header value from ever meeting the address bytes it may fall back to.
    boost::hash_combine(h, static_cast<unsigned>(key.kind));
    boost::hash_range(h, key.bytes.begin(), key.bytes.end());
    return h;
}

std::optional<Decision> LocalStore::try_check(const Limit& limit, const Key& key) {
    return table_.decide(hash(limit, key), limit.rate);
}

boost::asio::awaitable<Decision> LocalStore::check(const Limit& limit, const Key& key) {
    co_return table_.decide(hash(limit, key), limit.rate);
}

void LocalStore::give_back(const Limit& limit, const Key& key) {
    table_.give_back(hash(limit, key), limit.rate);
}

}  // namespace gw::middleware::rate_limit
