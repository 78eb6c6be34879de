// Where cached responses live. The memory store (memory_store.h) answers at once; a Redis store
// answers after a round trip, hence the asynchronous interface. Stores are shared by every
// worker and thread-safe; a store that fails (Redis down) reports a miss and drops a put, so a
// cache failure becomes a bypass, never an error for the caller.
#pragma once

#include <cstddef>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "middleware/cache/entry.h"

namespace gw::middleware::cache {

// Which entries a purge removes; empty fields match everything.
struct PurgeFilter {
    std::string route;        // entries stored for this route
    std::string path_prefix;  // entries whose normalised request path starts with this
};

class Store {
public:
    virtual ~Store() = default;
    // The entry under key, or null (absent, expired past use, or the store failed).
    virtual boost::asio::awaitable<EntryPtr> get(std::string key) = 0;
    // Stores entry under key, replacing what was there; may drop it (too large, failure).
    virtual boost::asio::awaitable<void> put(std::string key, EntryPtr entry) = 0;
    // For stores that need no I/O (memory): looks up at once and returns true (a hit then needs
    // no coroutine, Step::try_request). Others return false: use get().
    virtual bool get_at_once(const std::string&, EntryPtr&) { return false; }
    // For stores that need no I/O (memory): stores at once and returns true, so the entry is
    // there before the response that made it ends. Others return false: use put().
    virtual bool put_at_once(std::string&, EntryPtr&) { return false; }
    // Removes the matching entries; returns how many.
    virtual boost::asio::awaitable<std::size_t> purge(PurgeFilter filter) = 0;
};

}  // namespace gw::middleware::cache
