// Per-request state, owned by the session's coroutine frame for one request. Steps and the
// proxy receive it by reference and never keep it past the request. One thread (the worker's)
// touches it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "config/config.h"
#include "middleware/response_observer.h"
#include "routes/route_table.h"

namespace gw::middleware {

// Who is calling, as established by the auth steps. Empty when the route has no auth.
struct Identity {
    std::string consumer;             // consumer name; "" when the credential maps to none
    std::string subject;              // JWT `sub`, introspection `sub`; "" otherwise
    std::vector<std::string> groups;  // the consumer's groups
    std::vector<std::string> scopes;  // JWT `scope`/`scp`, introspection `scope`
    std::string_view authenticator;   // name of the authenticator that succeeded (in config)
    bool authenticated = false;
};

struct RequestContext {
    // The snapshot this request started with, used on the way back too.
    std::shared_ptr<const config::Config> config;
    std::chrono::steady_clock::time_point start;
    std::string request_id;
    std::string client_ip;   // the peer, or the first untrusted X-Forwarded-For hop
    boost::asio::ip::address client_addr;  // client_ip parsed
    std::string peer_ip;     // the TCP peer
    bool peer_trusted = false;  // the peer is in server.trusted_proxies
    bool tls = false;        // downstream connection is HTTPS
    std::string path;        // normalised
    std::string query;
    std::string host;        // lower-case, no port
    routes::MatchResult match;
    Identity identity;
    // Headers steps add to whatever response this request gets (RateLimit-*, X-Cache), after
    // the route's own response header rules. Names lower-case.
    config::HeaderList response_headers;
    unsigned status = 0;
    std::uint64_t bytes_in = 0;   // request body bytes
    std::uint64_t bytes_out = 0;  // response body bytes
    std::string_view upstream_target;  // "host:port" of the target used (in config)
    double upstream_seconds = -1; // < 0: no upstream call
    // Set by a step that needs the upstream's answer (the cache); the proxy feeds it.
    std::unique_ptr<ResponseObserver> response_observer;
};

}  // namespace gw::middleware
