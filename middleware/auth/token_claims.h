// The claims a JWT and an introspection answer share (RFC 7519, RFC 7662): expiry and
// not-before with leeway, issuer, audience, subject and scopes. Pure functions; any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "middleware/auth/authenticator.h"

namespace gw::middleware::auth {

struct ClaimRules {
    std::string issuer;                   // "" accepts any
    std::vector<std::string> audiences;   // empty accepts any; else one must be in `aud`
    std::chrono::seconds leeway{0};       // clock skew allowed on exp and nbf
    bool require_exp = true;              // a token without exp never expires: refuse it
};

// ok with subject and scopes, or failed with code token_expired / invalid_token and a message
// for the caller. `now` is Unix seconds.
AuthResult check_claims(const rapidjson::Value& claims, const ClaimRules& rules,
                        std::int64_t now);

// Scopes from `scope` (space-separated string) or `scp` (array of strings, or a string).
std::vector<std::string> read_scopes(const rapidjson::Value& claims);

// Unix seconds now, from the system clock (tokens carry wall-clock times).
std::int64_t unix_now();

}  // namespace gw::middleware::auth
