#include "stores/redis/worker_clients.h"

#include <cstdint>
#include <string>
#include <unordered_map>

#include <boost/asio/execution/context.hpp>
#include <boost/asio/query.hpp>

namespace gw::stores::redis {
namespace {

struct Entry {
    std::shared_ptr<RedisClient> client;
    const void* context = nullptr;  // the io_context the client runs on
    std::uint64_t last_used = 0;
};

struct ThreadClients {
    std::unordered_map<std::string, Entry> by_key;
    std::uint64_t tick = 0;
};

ThreadClients& mine() {
    thread_local ThreadClients clients;
    return clients;
}

const void* context_of(const boost::asio::any_io_executor& ex) {
    return &boost::asio::query(ex, boost::asio::execution::context);
}

void evict_one(ThreadClients& t) {
    auto oldest = t.by_key.begin();
    for (auto it = t.by_key.begin(); it != t.by_key.end(); ++it)
        if (it->second.last_used < oldest->second.last_used) oldest = it;
    t.by_key.erase(oldest);
}

}  // namespace

std::shared_ptr<RedisClient> client_for(const config::RedisConfig& config,
                                        const boost::asio::any_io_executor& ex) {
    ThreadClients& t = mine();
    auto it = t.by_key.find(config.key);
    // A thread runs one io_context in the server; the check keeps tests that run several in
    // turn on one thread from reusing a client of a context that is gone.
    if (it != t.by_key.end() && it->second.context != context_of(ex)) {
        t.by_key.erase(it);
        it = t.by_key.end();
    }
    if (it == t.by_key.end()) {
        if (t.by_key.size() >= kMaxClientsPerThread) evict_one(t);
        Entry e{std::make_shared<RedisClient>(ex, config), context_of(ex), 0};
        it = t.by_key.emplace(config.key, std::move(e)).first;
    }
    it->second.last_used = ++t.tick;
    it->second.client->set_timeout(config.timeout);
    return it->second.client;
}

std::shared_ptr<RedisClient> existing_client(const config::RedisConfig& config) {
    ThreadClients& t = mine();
    auto it = t.by_key.find(config.key);
    return it == t.by_key.end() ? nullptr : it->second.client;
}

void clear_thread_clients() { mine().by_key.clear(); }

}  // namespace gw::stores::redis
