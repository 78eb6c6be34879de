// HTTP caching rules (RFC 9111) as pure functions: Cache-Control parsing, what a request asks
// of the cache, whether a response may be stored and for how long, conditional requests.
// No I/O and no clock of their own (the caller passes `now`), so they are unit-tested alone.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include <boost/beast/http/message.hpp>

#include "server/http_date.h"

namespace gw::middleware::cache {

using Millis = std::chrono::milliseconds;
using SystemTime = server::SystemTime;

struct CacheControl {
    bool no_store = false;
    bool no_cache = false;       // also `no-cache="field"`: treated as the whole response
    bool is_private = false;     // also `private="field"`
    bool is_public = false;
    bool must_revalidate = false;  // also proxy-revalidate
    std::optional<std::int64_t> max_age;   // seconds; an invalid value reads as 0 (stale)
    std::optional<std::int64_t> s_maxage;  // seconds
};

// Directives from one or more Cache-Control values joined with ", ". Unknown directives are
// ignored, as RFC 9111 5.2 asks.
CacheControl parse_cache_control(std::string_view value);

using server::parse_http_date;  // server/http_date.h

// What a request lets the cache do.
enum class RequestMode {
    bypass,      // not GET/HEAD, or no-store: neither served from nor stored in the cache
    lookup,      // a fresh entry may answer
    revalidate,  // no-cache, max-age=0 or Pragma: no-cache: ask the upstream, store its answer
};
RequestMode request_mode(const boost::beast::http::request_header<>& req);

// Facts about an upstream response that decide whether it is stored.
struct ResponseFacts {
    unsigned status = 0;
    CacheControl cc;
    bool has_set_cookie = false;
    bool vary_star = false;
    bool has_validator = false;         // ETag or Last-Modified
    // The request carried Authorization that the gateway did not itself authenticate: the
    // answer may be meant for that caller only (RFC 9111 3.5).
    bool unverified_authorization = false;
    std::optional<Millis> expires_in;   // Expires minus Date (or minus now without Date)
};

struct StoreDecision {
    bool store = false;
    Millis fresh_for{0};           // freshness lifetime (RFC 9111 4.2.1)
    bool must_revalidate = false;  // a stale copy may not be served, not even on error
};

// Freshness: s-maxage, then max-age, then Expires, then the route's ttl (the upstream said
// nothing). no-cache stores with a lifetime of 0: every use revalidates.
StoreDecision store_decision(const ResponseFacts& facts, Millis route_ttl);

// Statuses a cache may keep (RFC 9110 15.1 "heuristically cacheable"), 206 excluded: the
// gateway does not assemble ranges.
bool cacheable_status(unsigned status);

// If-None-Match (weak comparison) or, without it, If-Modified-Since against the entry's
// validators: true when a 304 answers the request.
bool not_modified(const boost::beast::http::request_header<>& req, std::string_view etag,
                  std::string_view last_modified);

}  // namespace gw::middleware::cache
