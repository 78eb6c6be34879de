// Cache keys. The primary key is a SHA-256 (hex) over the route, method class, host,
// normalised path, the query with its parameters in a stable name order (so `?a=1&b=2` and
// `?b=2&a=1` share an entry, while repeated names keep their order), the route's `vary`
// request headers and, on authenticated routes unless `shared: true`, the caller's identity.
// The upstream's own Vary adds a second level: the variant key hashes the primary key with
// the request's values of the headers the upstream named.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http/message.hpp>

#include "middleware/cache/cache_rule.h"
#include "middleware/request_context.h"

namespace gw::middleware::cache {

// "a=1&b=2" with parameters stably sorted by name; empty parameters dropped.
std::string sorted_query(std::string_view query);

// All values of a request header joined with ", ", surrounding blanks removed.
std::string header_value(const boost::beast::http::fields& fields, std::string_view name);

// Whether the key carries the caller's identity: authenticated and not shared.
bool keyed_by_consumer(const CacheRule& rule, const RequestContext& ctx);

std::string primary_key(const CacheRule& rule, const RequestContext& ctx,
                        const boost::beast::http::request_header<>& req);

std::string variant_key(std::string_view primary, const std::vector<std::string>& vary,
                        const boost::beast::http::request_header<>& req);

// Lower-case header names of a Vary value; "*" comes back as a single "*".
std::vector<std::string> parse_vary(std::string_view value);

}  // namespace gw::middleware::cache
