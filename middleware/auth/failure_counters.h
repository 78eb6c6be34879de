// gateway_auth_failures_total{route,reason}: requests refused by the ip, auth and allow steps,
// by route and by the error code the caller got (the reason).
//
// Threads: FailureCounters lives in the middleware::Registry (it outlives snapshots, so a
// reload keeps the counts). for_route() is called only while a configuration loads and
// render() only from the admin endpoint; both run on the control thread (or in main before
// the server starts), so the map needs no lock. Workers only increment the atomics of the
// RouteFailures their step holds: relaxed, lock-free, and only on refusals.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace gw::middleware::auth {

// The reasons counted; a code outside this list (a future authenticator's) counts as "other".
inline constexpr std::array<std::string_view, 8> kFailureReasons = {
    "missing_credentials", "invalid_credentials", "invalid_token", "token_expired",
    "auth_unavailable",    "forbidden",           "ip_forbidden",  "other"};

struct RouteFailures {
    std::array<std::atomic<std::uint64_t>, kFailureReasons.size()> counts{};
    void add(std::string_view reason);
    std::uint64_t get(std::string_view reason) const;
};

class FailureCounters {
public:
    std::shared_ptr<RouteFailures> for_route(const std::string& route);
    // Appends the Prometheus text (HELP, TYPE, one line per non-zero count).
    void render(std::string& out) const;

private:
    std::map<std::string, std::shared_ptr<RouteFailures>> routes_;
};

}  // namespace gw::middleware::auth
