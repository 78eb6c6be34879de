// The cache's admin endpoints, on the admin listener (control thread): DELETE /cache purges
// all entries, DELETE /cache?route=NAME the entries of one route, DELETE /cache?prefix=/p the
// entries whose normalised request path starts with /p (both may be given: both must match).
#pragma once

#include <string>
#include <string_view>

#include <boost/beast/http/status.hpp>

#include "middleware/cache/shared_cache.h"

namespace gw::server {

struct CachePurgeResult {
    boost::beast::http::status status;
    std::string body;  // JSON
};

// `target` is the request target with its query.
CachePurgeResult purge_cache(middleware::cache::SharedCache& cache, std::string_view target);

}  // namespace gw::server
