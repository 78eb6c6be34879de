// Plain, validated configuration values. The loader (config/loader.cpp) builds these from YAML;
// everything else only reads them. They are immutable once inside a Config snapshot, which is
// shared by every worker thread through std::shared_ptr<const Config>.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/ip/address.hpp>

namespace gw::middleware {
class Step;  // middleware/step.h
}
namespace gw::server {
class TargetState;  // server/target_state.h: health and breaker state shared by workers
}
namespace gw::middleware::oauth2_client {
class TokenSource;  // middleware/oauth2_client/token_source.h
}

namespace gw::config {

using Duration = std::chrono::milliseconds;
using HeaderList = std::vector<std::pair<std::string, std::string>>;  // names lower-case

// Where a value came from, for error messages that name file:line:col.
struct SourceMark {
    std::string file;
    int line = 0;  // 1-based
    int col = 0;   // 1-based
    std::string str() const { return file + ":" + std::to_string(line) + ":" + std::to_string(col); }
};

struct Endpoint {
    std::string host;  // literal address, "0.0.0.0", "::" or a name
    std::uint16_t port = 0;
    std::string str() const;  // "host:port", IPv6 in brackets
};

struct Cidr {
    boost::asio::ip::address network;
    unsigned prefix = 0;
    bool contains(const boost::asio::ip::address& a) const;
};

struct ServerTls {
    std::string cert_file;
    std::string key_file;
    std::string min_version = "1.2";  // "1.2" | "1.3"
    std::string client_ca_file;       // empty: no client certificates asked
};

struct Limits {
    std::size_t max_header_bytes = 16 * 1024;
    std::size_t max_body_bytes = 10 * 1024 * 1024;
    Duration header_timeout = std::chrono::seconds(10);
    Duration idle_timeout = std::chrono::seconds(60);
    std::size_t max_connections = 10000;
};

struct ServerConfig {
    std::vector<Endpoint> listen;  // at least one
    unsigned workers = 0;          // 0: one per core (resolved by the server)
    std::optional<ServerTls> tls;
    Limits limits;
    std::vector<Cidr> trusted_proxies;
    Duration drain_timeout = std::chrono::seconds(30);
};

struct AdminConfig {
    std::optional<Endpoint> listen;  // absent: no admin listener
    std::string token;               // empty: no token required
};

enum class LogLevel { debug, info, warn, error };

struct LogConfig {
    LogLevel level = LogLevel::info;
    std::string access = "stdout";            // "stdout" | "off" | a file path
    std::vector<std::string> redact_headers;  // lower-case
};

// Top-level `cache:`: the memory store shared by every route with `store: memory`.
struct CacheSettings {
    std::size_t max_bytes = 256u * 1024 * 1024;  // LRU eviction past this
};

struct Target {
    std::string url;  // as written
    bool tls = false; // https://
    std::string host;
    // The host when it is an IP literal, parsed once at load: the pool connects to it without
    // parsing the text for every new connection. Unset for a name (resolved) and in configs
    // built by hand.
    std::optional<boost::asio::ip::address> ip;
    std::uint16_t port = 0;
    std::string base_path;  // path part of the url, "" when none; prefixed to forwarded paths
    std::string authority;  // "host:port" ("[v6]:port"), for logs
    std::string host_header;  // Host sent upstream: the authority without a default port
    unsigned weight = 1;
    // Health and circuit state, shared by every worker and kept across reloads for the same
    // (upstream, url); set by the loader (null only in configs built by hand in tests).
    std::shared_ptr<server::TargetState> state;
};

enum class Balance { round_robin, least_request, random };

struct UpstreamTls {
    bool verify = true;
    std::string ca_file;   // empty: system store
    std::string sni;       // empty: the target host
    std::string cert_file; // client certificate, optional
    std::string key_file;
};

// credentials type oauth2_client_credentials: where and how the gateway gets its access token.
struct OAuth2Client {
    enum class AuthMethod { client_secret_basic, client_secret_post };
    std::string token_url;  // http:// or https://
    std::string client_id;
    std::string client_secret;
    std::vector<std::string> scopes;  // sent space-separated; none: no scope parameter
    std::string audience;             // "" none
    AuthMethod auth_method = AuthMethod::client_secret_basic;
    std::optional<Duration> refresh_before;  // none: min(30s, 10% of the token's lifetime)
    UpstreamTls tls;                         // for an https:// token_url
};

struct Credentials {
    enum class Type { none, bearer, header, basic, query, oauth2 };
    Type type = Type::none;
    std::string name;   // header: header name (lower-case); query: parameter name
    std::string value;  // bearer: token; header/query: value; basic: "user:password"
    // oauth2: fetches and caches the access token; shared by every snapshot whose settings are
    // the same (kept in middleware::Registry), so a reload keeps the token.
    std::shared_ptr<middleware::oauth2_client::TokenSource> token_source;
};

// retry: what failed attempts are tried again. attempts counts every try, the first included.
struct RetryPolicy {
    unsigned attempts = 1;  // 1: no retries
    bool on_connect_failure = false;
    bool on_reset = false;
    bool on_timeout = false;
    std::vector<unsigned> statuses;  // upstream answers retried, e.g. 502 503 504
    Duration backoff = std::chrono::milliseconds(50);  // first delay; doubles, with jitter
    // Each attempt's wait for the upstream; the route's timeout bounds all attempts and waits.
    std::optional<Duration> per_try_timeout;
    std::vector<std::string> methods;  // upper-case; the methods that may be retried
};

// circuit_breaker: per target, open after that many failures in a row.
struct BreakerPolicy {
    unsigned consecutive_failures = 5;
    Duration open_for = std::chrono::seconds(30);
};

// health_check: one GET per target and interval; 2xx is healthy.
struct HealthCheck {
    std::string path = "/healthz";
    Duration interval = std::chrono::seconds(5);
    unsigned unhealthy_after = 3;
    unsigned healthy_after = 2;
    bool operator==(const HealthCheck&) const = default;
};

struct Upstream {
    std::string name;
    SourceMark mark;
    std::vector<Target> targets;  // at least one
    Balance balance = Balance::round_robin;
    Duration connect_timeout = std::chrono::seconds(5);
    Duration response_timeout = std::chrono::seconds(30);
    std::size_t keepalive_max_idle = 64;
    Duration keepalive_idle_timeout = std::chrono::seconds(60);
    UpstreamTls tls;
    Credentials credentials;
    RetryPolicy retry;
    std::optional<BreakerPolicy> circuit_breaker;
    std::optional<HealthCheck> health_check;
};

struct HeaderOps {
    HeaderList set;                  // replaces any existing value
    std::vector<std::string> remove; // lower-case
    bool empty() const { return set.empty() && remove.empty(); }
};

// 1xx, 204 and 304 answers carry no body, and so no framing of their own (RFC 9110 6.4.1).
inline bool bodiless_status(unsigned status) {
    return status < 200 || status == 204 || status == 304;
}

struct Respond {
    unsigned status = 200;
    HeaderList headers;
    std::string body;
    // headers with the route's response header rules applied, and Content-Length, as header
    // lines (config/respond_lines.h); rendered when the route is loaded.
    std::string lines;
};

struct RouteMatch {
    std::string path;                  // "/a/{id}", "/api/*", "~ ^/re$"
    std::vector<std::string> methods;  // upper-case; empty: any
    std::string host;                  // lower-case; "" any; "*.example.com" wildcard
    HeaderList headers;                // exact matches, names lower-case
};

struct Rewrite {
    std::string path;          // template with {param}; "" none
    std::string strip_prefix;  // "" none
};

// redis: the one Redis server that every `store: redis` uses (config/redis_section.cpp).
struct RedisConfig {
    enum class OnError { allow, deny };  // fail open | fail closed when Redis is down or slow
    std::string host;
    std::uint16_t port = 6379;
    bool tls = false;       // rediss://
    std::string username;   // empty: AUTH with the password only (or no AUTH)
    std::string password;   // secret: never logged, never in error messages
    unsigned db = 0;
    Duration timeout = std::chrono::milliseconds(50);
    OnError on_error = OnError::allow;
    unsigned connections = 2;  // per worker
    UpstreamTls tls_options;  // rediss:// only
    // Server, credentials, TLS and connection count in one string: workers keep one client
    // per key, so a reload that changes none of these keeps the connections. Holds the
    // password: never logged.
    std::string key;
};

struct RouteSpec {
    std::string name;
    std::string key;       // "routes[2]": key path within its own file, for error messages
    SourceMark mark;       // the route's own node
    SourceMark path_mark;  // match.path, for conflict errors
    RouteMatch match;
    std::shared_ptr<const Upstream> upstream;  // exactly one of upstream and respond
    std::optional<Respond> respond;
    Rewrite rewrite;
    std::optional<Duration> timeout;  // overrides upstream response timeout
    HeaderOps request_headers;
    HeaderOps response_headers;
    // The route's request-path steps in the order they run: ip, cors, auth, allow, rate limit,
    // cache. Compiled at load; shared by every worker.
    std::vector<std::shared_ptr<const middleware::Step>> steps;
};

}  // namespace gw::config
