// One-shot outbound HTTP/1.1 calls for the gateway's own needs: JWKS documents, token
// introspection, OAuth2 token endpoints. Not for proxied traffic (that goes through the
// worker's UpstreamPool). Each call opens a connection, sends one request with
// `Connection: close`, reads one bounded response and closes: these calls are rare (key
// refreshes, token fetches, cache misses), so pooling would buy little.
//
// Threads: fetch runs on whatever executor it is given; client TLS contexts are cached per
// thread (no locks).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>

#include "config/types.h"

namespace gw::server {

struct FetchRequest {
    std::string method = "GET";
    std::string url;                 // http:// or https://
    config::HeaderList headers;      // e.g. {"content-type", "application/json"}
    std::string body;
    config::Duration timeout = std::chrono::seconds(5);  // the whole exchange
    config::UpstreamTls tls;         // verify, ca_file, sni, cert_file, key_file
    std::size_t max_body = 1 << 20;  // larger answers fail
};

struct FetchResponse {
    unsigned status = 0;
    config::HeaderList headers;  // names lower-case
    std::string body;
    // The first value of a header (name lower-case), "" when absent.
    std::string_view header(std::string_view name) const;
};

struct FetchResult {
    boost::system::error_code error;  // set when no complete response came
    std::string what;                 // short reason for logs, e.g. "connect: Connection refused"
    FetchResponse response;
    bool ok() const { return !error; }
};

boost::asio::awaitable<FetchResult> fetch(boost::asio::any_io_executor ex, FetchRequest req);

}  // namespace gw::server
