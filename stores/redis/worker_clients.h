// "This worker's Redis client for this redis: section", for steps, which are shared by every
// worker thread. Each thread keeps its own small table (thread_local), keyed by
// RedisConfig::key (server, credentials, TLS, connection count), so no lock is taken and no
// client is ever touched by two threads. A client is created lazily on the first call on a
// thread, on the executor given (the worker's io_context), and it survives reloads that keep
// the key. A thread keeps at most kMaxClientsPerThread; the least recently used goes first
// (after a reload that changed the url, the old client is no longer used).
#pragma once

#include <memory>

#include <boost/asio/any_io_executor.hpp>

#include "config/types.h"
#include "stores/redis/client.h"

namespace gw::stores::redis {

inline constexpr std::size_t kMaxClientsPerThread = 4;

// Call on the thread that runs `ex`. The shared_ptr keeps the client alive across a caller's
// co_await even if the table drops it meanwhile.
std::shared_ptr<RedisClient> client_for(const config::RedisConfig& config,
                                        const boost::asio::any_io_executor& ex);
// This thread's client for `config` when it has one, else nullptr; for fire-and-forget calls
// made right after client_for on the same thread (e.g. a rate-limit give-back), which have
// no executor at hand.
std::shared_ptr<RedisClient> existing_client(const config::RedisConfig& config);
// Drops this thread's clients (tests, before their io_context goes away).
void clear_thread_clients();

}  // namespace gw::stores::redis
