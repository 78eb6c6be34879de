// The cache's admin endpoints, on the admin listener (control thread): DELETE /cache purges
// all entries, DELETE /cache?route=NAME the entries of one route, DELETE /cache?prefix=/p the
// entries whose normalised request path starts with /p (both may be given: both must match).
// The memory store is purged, and so is the Redis store when the configuration has a redis:
// section (entries of `store: redis` routes, including routes a reload removed).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/status.hpp>

#include "config/config.h"
#include "middleware/cache/shared_cache.h"

namespace gw::server {

struct CachePurgeResult {
    boost::beast::http::status status;
    std::string body;  // JSON
};

// `target` is the request target with its query. A Redis store that does not answer makes the
// result 503 cache_store_unavailable (the memory entries are purged all the same).
boost::asio::awaitable<CachePurgeResult> purge_cache(
    std::shared_ptr<middleware::cache::SharedCache> cache,
    std::shared_ptr<const config::Config> config, std::string target);

}  // namespace gw::server
