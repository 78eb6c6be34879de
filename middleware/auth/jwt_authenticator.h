// `type: jwt`: a bearer token that is a signed JWT, verified locally with keys from a JWKS
// URL, a PEM file or a shared secret. The algorithm must be one the authenticator lists and
// the key must be of that algorithm's kind ("none" is never an algorithm here). Immutable after
// load and shared by every worker; the JWKS source it points to is thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "middleware/auth/authenticator.h"
#include "middleware/auth/jwks_source.h"
#include "middleware/auth/jwt_key.h"
#include "middleware/auth/token_claims.h"

namespace gw::middleware::auth {

struct JwtConfig {
    std::string name;
    std::vector<JwtAlg> algorithms;           // at least one
    ClaimRules rules;
    // Exactly one of the two: keys fetched from a JWKS URL, or fixed keys (PEM key, secret).
    std::shared_ptr<JwksSource> jwks;
    std::shared_ptr<const KeySet> fixed_keys;
    // How long a request waits for an early JWKS fetch (unknown kid, no keys yet).
    config::Duration refresh_wait = std::chrono::seconds(2);
    std::function<std::int64_t()> clock = unix_now;  // Unix seconds; tests inject their own
};

class JwtAuthenticator final : public Authenticator {
public:
    explicit JwtAuthenticator(JwtConfig config) : config_(std::move(config)) {}

    std::string_view name() const override { return config_.name; }
    std::string_view challenge() const override { return "Bearer realm=\"gateway\""; }
    Task<AuthResult> authenticate(const RequestContext& ctx, const RequestHead& req) const override;
    void strip_credential(RequestHead& req, std::string& query) const override;

    const JwtConfig& config() const { return config_; }

private:
    bool allowed(JwtAlg alg) const;
    Task<std::shared_ptr<const KeySet>> key_set(const std::string& kid) const;

    const JwtConfig config_;
};

}  // namespace gw::middleware::auth
