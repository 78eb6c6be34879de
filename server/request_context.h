// Per-request state, owned by the session's coroutine frame for one request. Steps and the
// proxy receive it by reference and never keep it past the request.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "routes/route_table.h"
#include "server/config_store.h"

namespace gw::server {

struct RequestContext {
    ConfigPtr config;  // the snapshot this request started with, used on the way back too
    std::chrono::steady_clock::time_point start;
    std::string request_id;
    std::string client_ip;   // the peer, or the first untrusted X-Forwarded-For hop
    std::string peer_ip;     // the TCP peer
    bool tls = false;        // downstream connection is HTTPS
    std::string path;        // normalised
    std::string query;
    std::string host;        // lower-case, no port
    routes::MatchResult match;
    unsigned status = 0;
    std::uint64_t bytes_in = 0;   // request body bytes
    std::uint64_t bytes_out = 0;  // response body bytes
    std::string_view upstream_target;  // "host:port" of the target used (in config)
    double upstream_seconds = -1; // < 0: no upstream call
};

}  // namespace gw::server
