// The decisions of an OAuth2 token source, apart from threads and I/O so they are unit-tested
// with an injected clock: when the cached token may be used, when the one fetch starts, how
// long a failed fetch keeps everyone from trying again (backoff, so a dead endpoint is not
// hit in a hot loop), and when an upstream's 401 may drop the token.
//
// Not thread-safe: TokenSource calls it under its mutex.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "config/types.h"

namespace gw::middleware::oauth2_client {

using Clock = std::chrono::steady_clock;
using Time = Clock::time_point;

struct Token {
    std::uint64_t id = 0;  // unique within its source, never 0
    std::string header;    // "Bearer <access token>": the Authorization value sent upstream
    Time refresh_at;       // used freely before this; after it a refresh starts
    Time expires_at;       // never sent after this
};
using TokenPtr = std::shared_ptr<const Token>;

// After a failed fetch nobody fetches again for 1s, then 2s, 4s ... up to 30s.
inline constexpr std::chrono::seconds kMinBackoff{1};
inline constexpr std::chrono::seconds kMaxBackoff{30};
// An upstream 401 drops the token at most once per this: an upstream that refuses every
// token must not turn each request into a token fetch.
inline constexpr std::chrono::seconds kRejectHoldoff{5};
// Refreshed this long before expiry when refresh_before is not set (or 10% of the lifetime
// when that is less).
inline constexpr std::chrono::seconds kDefaultRefreshBefore{30};

class TokenState {
public:
    explicit TokenState(std::optional<config::Duration> refresh_before)
        : refresh_before_(refresh_before) {}

    struct Decision {
        TokenPtr token;       // send this one; null: none usable now
        bool fetch = false;   // the caller must start the fetch (it is now marked in flight)
        bool failed = false;  // no token and the last fetch failed recently: answer 502
    };
    // No token and no failure: wait for the fetch in flight (or the one `fetch` starts).
    Decision next(Time now);

    // The fetch ended with a token (returned) or without one.
    TokenPtr succeeded(std::string_view access_token, std::chrono::seconds lifetime, Time now);
    void failed(Time now);

    // An upstream answered 401 to token `id`. Drops it when it is still the current one and
    // no other was dropped within kRejectHoldoff; false when the current token stays.
    bool reject(std::uint64_t id, Time now);

    const TokenPtr& current() const { return token_; }
    bool fetching() const { return fetching_; }
    // How long before expiry a token of this lifetime is refreshed: refresh_before (default
    // 30s or 10% of the lifetime, whichever is less), never more than half the lifetime, so
    // a short-lived token is not fetched again on every request.
    std::chrono::milliseconds margin(std::chrono::seconds lifetime) const;

private:
    std::optional<config::Duration> refresh_before_;
    TokenPtr token_;
    bool fetching_ = false;
    unsigned failures_ = 0;   // in a row
    Time retry_at_{};         // after a failure: no fetch before this
    Time reject_until_{};     // after a 401 dropped a token: no other drop before this
    std::uint64_t next_id_ = 1;
};

}  // namespace gw::middleware::oauth2_client
