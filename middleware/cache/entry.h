// A stored response. Immutable once built and shared as EntryPtr: a hit hands the body and
// headers to the writer through aliasing shared_ptrs, so no thread copies them and an entry
// evicted while being written stays alive until the write ends.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "config/types.h"
#include "middleware/cache/cache_control.h"

namespace gw::middleware::cache {

struct Entry {
    unsigned status = 200;
    // The upstream's headers as the route shaped them, without framing, hop-by-hop, Age and
    // the gateway's per-request headers. Names lower-case.
    config::HeaderList headers;
    // Shared so a 304 revalidation refreshes an entry without copying its body.
    std::shared_ptr<const std::string> body = std::make_shared<const std::string>();
    SystemTime stored_at{};      // when the response arrived
    Millis initial_age{0};       // the upstream's Age header
    Millis fresh_for{0};         // freshness lifetime
    Millis stale_if_error{0};    // how long past freshness a copy may stand in for a failure
    bool must_revalidate = false;
    std::string etag;
    std::string last_modified;
    // With vary_marker, this entry only says which request headers the upstream varies on
    // (its Vary); the response itself is stored under the variant key made with them.
    bool vary_marker = false;
    std::vector<std::string> vary;  // lower-case names
    std::string route;              // for purge by route and eviction counts
    std::string path;               // normalised request path, for purge by prefix

    bool has_validator() const { return !etag.empty() || !last_modified.empty(); }
    // Age (RFC 9111 4.2.3) at `now`.
    Millis age(SystemTime now) const {
        auto since = std::chrono::duration_cast<Millis>(now - stored_at);
        return initial_age + std::max(Millis(0), since);
    }
    bool fresh(SystemTime now) const { return age(now) < fresh_for; }
    // May stand in for an upstream failure at `now` (stale_if_error).
    bool usable_on_error(SystemTime now) const {
        return !vary_marker && !must_revalidate && age(now) < fresh_for + stale_if_error;
    }
    // Worth keeping at `now`: fresh, usable on error, or revalidatable.
    bool worth_keeping(SystemTime now) const {
        return vary_marker || has_validator() || usable_on_error(now);
    }
    // Bytes charged against the store's budget: an estimate of what the entry holds.
    std::size_t charge() const {
        std::size_t n = sizeof(Entry) + body->size() + etag.size() + last_modified.size() +
                        route.size() + path.size();
        for (const auto& [name, value] : headers) n += name.size() + value.size() + 64;
        for (const auto& name : vary) n += name.size() + 32;
        return n;
    }
};

using EntryPtr = std::shared_ptr<const Entry>;

}  // namespace gw::middleware::cache
