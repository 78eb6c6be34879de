// `type: oauth2_introspection` (RFC 7662): a bearer token checked at the identity provider's
// introspection endpoint (POST token=..., client_secret_basic), the answer cached for `cache`
// but never past the token's exp. Inactive tokens are refused; a provider that cannot be
// reached or answers nonsense makes the request 503 (unavailable), never a pass. Immutable after
// load, shared by every worker; the cache is thread-safe (introspection_cache.h) and the call
// runs on the requesting worker's executor.
//
// Concurrent misses for one token are collapsed across all workers (middleware/single_flight.h,
// keyed by the token's digest): the first asks, the others wait for its answer, so a burst of
// requests with a new token costs the provider one call, not one per request or per worker.
// Process-wide rather than per worker because the answer cache is process-wide too: a
// per-worker flight would still make one call per worker for the same token. With `cache: 0s`
// nothing is collapsed: the operator asked for every request to be checked.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "middleware/auth/authenticator.h"
#include "middleware/auth/introspection_cache.h"
#include "middleware/auth/jwks_source.h"
#include "middleware/auth/token_claims.h"
#include "middleware/single_flight.h"

namespace gw::middleware::auth {

// In-flight introspection calls by token digest; the result is the provider's answer, nullopt
// when it could not be had (the followers answer 503 too, as the leader does).
using IntrospectionFlights =
    SingleFlight<IntrospectionCache::Key, std::optional<IntrospectionAnswer>,
                 IntrospectionCache::KeyHash>;

struct IntrospectionConfig {
    std::string name;
    std::string url;
    std::string client_id;
    std::string client_secret;
    config::Duration cache_ttl = std::chrono::seconds(60);  // 0: every request asks
    config::Duration timeout = std::chrono::seconds(5);
    config::UpstreamTls tls;
    std::shared_ptr<IntrospectionCache> cache;  // never null
    std::shared_ptr<IntrospectionFlights> flights;  // made by the constructor when null
    FetchFn fetch;
    std::function<std::int64_t()> clock = unix_now;  // Unix seconds; tests inject their own
};

class IntrospectionAuthenticator final : public Authenticator {
public:
    explicit IntrospectionAuthenticator(IntrospectionConfig config);

    std::string_view name() const override { return config_.name; }
    std::string_view challenge() const override { return "Bearer realm=\"gateway\""; }
    Task<AuthResult> authenticate(const RequestContext& ctx, const RequestHead& req) const override;
    void strip_credential(RequestHead& req, std::string& query) const override;

private:
    using Answer = std::optional<IntrospectionAnswer>;
    // The answer for the token: asked by this request, or by another one in flight with it.
    Task<Answer> collapsed_ask(const IntrospectionCache::Key& key, std::string_view token) const;
    Task<Answer> ask(std::string_view token) const;
    void remember(const IntrospectionCache::Key& key, const IntrospectionAnswer& answer,
                  std::int64_t now) const;
    void log_failure(std::string_view why) const;

    const IntrospectionConfig config_;
    const std::string authorization_;  // "Basic base64(id:secret)", built once
    mutable std::atomic<std::int64_t> last_failure_log_{0};
};

// The provider's JSON answer; nullopt when it is not an object with a boolean "active".
std::optional<IntrospectionAnswer> parse_introspection(std::string_view json);

}  // namespace gw::middleware::auth
