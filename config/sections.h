// Internal to config/: one parser per top-level section. Each reads its node, appends every
// problem to ctx.errors and fills what it could; the loader decides at the end whether the
// result is usable (only when there are no errors at all).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/errors.h"
#include "config/node_reader.h"
#include "config/types.h"

namespace gw::config {

void parse_server(const Context& ctx, const Value& v, ServerConfig& out);
void parse_admin(const Context& ctx, const Value& v, AdminConfig& out);
void parse_log(const Context& ctx, const Value& v, LogConfig& out);
// redis: (config/redis_section.cpp). Leaves `out` empty when the node is not a mapping.
void parse_redis(const Context& ctx, const Value& v, std::optional<RedisConfig>& out);
// For sections with `store: redis` (rate limits, cache): the redis: section, or an error at
// `store` ("needs a top-level redis: section") and nullptr.
const RedisConfig* require_redis(const Context& ctx, const Scalar& store);

// Upstreams from every file, by name. An upstream with errors is still recorded, so that routes
// naming it do not add a misleading "unknown upstream" on top.
using UpstreamMap = std::map<std::string, std::shared_ptr<Upstream>>;
void parse_upstreams(const Context& ctx, const Value& v, UpstreamMap& out);
void parse_credentials(const Context& ctx, const Value& v, const std::string& upstream,
                       Credentials& out);
// An upstream's retry:, circuit_breaker: and health_check: (config/resilience_section.cpp).
void parse_retry(const Context& ctx, const Value& v, RetryPolicy& out);
void parse_circuit_breaker(const Context& ctx, const Value& v, BreakerPolicy& out);
void parse_health_check(const Context& ctx, const Value& v, HealthCheck& out);
// tls: of an outbound https:// call (upstreams, JWKS, introspection).
void parse_upstream_tls(const Context& ctx, const Value& v, UpstreamTls& out);
// credentials of type oauth2_client_credentials (config/oauth2_client_section.cpp).
void parse_oauth2_client(const Context& ctx, const Value& v, const std::string& upstream,
                         Credentials& out);

// Route names seen so far (all files), for "already defined at" errors.
using NameMarks = std::map<std::string, SourceMark>;
struct AccessTables;  // config/access_sections.h: consumers and authenticators
void parse_routes(const Context& ctx, const Value& v, const UpstreamMap& upstreams,
                  const AccessTables& access, NameMarks& names, std::vector<RouteSpec>& out);
// A method or list of methods, upper-cased, without duplicates.
void parse_methods(const Context& ctx, const Value& v, std::vector<std::string>& out);
// match:, and the headers: section of a route (request/response header operations).
void parse_match(const Context& ctx, const Value& v, RouteSpec& spec);
void parse_route_headers(const Context& ctx, const Value& v, RouteSpec& spec);
// cache: at the top level, and a route's cache: (appends the route's "cache" step, the last).
void parse_cache_settings(const Context& ctx, const Value& v, CacheSettings& out);
void parse_route_cache(const Context& ctx, const Value& v, RouteSpec& spec);
// cors: the route's browser access, compiled into its "cors" step (after "ip", before "auth").
void parse_route_cors(const Context& ctx, const Value& v, RouteSpec& spec);
// rate_limit: the route's limits, compiled into its "rate_limit" step (needs spec.name).
void parse_rate_limit(const Context& ctx, const Value& v, RouteSpec& spec);
// A header name or a list of them, lower-cased and checked (remove:, cors, cache vary).
std::vector<std::string> read_header_names(const Context& ctx, const Value& v);
// A header map (name -> value) with names lower-cased and checked.
HeaderList read_header_map(const Context& ctx, const Value& v);

}  // namespace gw::config
