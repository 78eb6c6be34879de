// Where the counters of a limit live. `store: local` (LocalStore) answers at once from memory
// shared by the workers of this process; a remote store (Redis, so that many gateway instances
// enforce one limit) has to wait for the network and plugs in through check().
//
// Threads: one Store serves every worker thread at once; implementations are thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "middleware/rate_limit/gcra.h"
#include "middleware/rate_limit/limit.h"

namespace gw::middleware::rate_limit {

// The key of one request under one limit. `bytes` may point into the request or the context:
// a store that suspends must copy what it keeps, though both outlive the co_await.
struct Key {
    enum class Kind : std::uint8_t { none, address, text };
    Kind kind = Kind::none;   // none: KeyKind::route; address: 4 or 16 address bytes
    std::string_view bytes;
};

class Store {
public:
    virtual ~Store() = default;
    // The decision for one request, when the store can give it without waiting (the local
    // store always can). nullopt: co_await check() instead. This spares the hot path a
    // coroutine frame per limit.
    virtual std::optional<Decision> try_check(const Limit& limit, const Key& key) = 0;
    // True when try_check always answers (memory): a route whose limits all live in such
    // stores decides without a coroutine at all (Step::try_request).
    virtual bool answers_at_once() const { return false; }
    virtual boost::asio::awaitable<Decision> check(const Limit& limit, const Key& key) = 0;
    // Gives back the unit an allowed check took when a later limit of the route refused the
    // request, so that a refused request uses up none of the route's limits.
    virtual void give_back(const Limit& limit, const Key& key) = 0;
};

}  // namespace gw::middleware::rate_limit
