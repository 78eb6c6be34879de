// One compiled entry of a route's `rate_limit:` list. Built once at load by
// config/rate_limit_section.cpp, immutable after, shared by every worker thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "config/types.h"
#include "middleware/rate_limit/gcra.h"

namespace gw::middleware::rate_limit {

class DecisionStats;
class Store;

// What a request is counted by (the `key:` of the limit).
enum class KeyKind : std::uint8_t {
    ip,        // the client address (ctx.client_addr)
    consumer,  // ctx.identity.consumer; the client address when the caller has none
    route,     // one count for the whole route
    header,    // the first value of a request header; the client address when absent or empty
};

struct Limit {
    KeyKind kind = KeyKind::ip;
    std::string header;  // KeyKind::header: the header name, lower-case
    std::uint64_t limit = 1;
    config::Duration window{1000};
    std::uint64_t burst = 1;
    Rate rate;
    // Identity of the counters: a hash of (route name, key, limit, window, burst). A reload
    // that keeps all five keeps the counts; any change starts fresh.
    std::uint64_t id = 0;
    std::string label;  // metrics `limit` label, e.g. "ip 100/1m" or "ip 1000/1s burst 200"
    std::shared_ptr<Store> store;
    std::shared_ptr<DecisionStats> stats;
};

}  // namespace gw::middleware::rate_limit
