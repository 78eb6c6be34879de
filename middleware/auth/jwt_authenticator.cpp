#include "middleware/auth/jwt_authenticator.h"

#include <algorithm>

#include "middleware/auth/bearer_token.h"
#include "middleware/auth/jwt_signature.h"
#include "middleware/auth/jwt_token.h"

namespace gw::middleware::auth {
namespace {

// A token without kid is tried against at most this many keys of its algorithm's kind, so
// that a key set of many RSA keys does not turn one forged token into many verifications.
constexpr int kMaxKeysWithoutKid = 4;

AuthResult invalid(std::string message) {
    return AuthResult::failed("invalid_token", std::move(message));
}

// The key that verifies the token, tried by kid (or, without one, in set order).
bool verified(const KeySet& keys, const JwtToken& token, JwtAlg alg) {
    const KeyKind kind = key_kind_for(alg);
    int tried = 0;
    for (const auto& key : keys.keys) {
        if (key.kind != kind || (!token.kid.empty() && key.kid != token.kid)) continue;
        if (token.kid.empty() && ++tried > kMaxKeysWithoutKid) return false;
        if (verify_signature(alg, key, token.signing_input, token.signature)) return true;
    }
    return false;
}

}  // namespace

bool JwtAuthenticator::allowed(JwtAlg alg) const {
    const auto& algs = config_.algorithms;
    return std::find(algs.begin(), algs.end(), alg) != algs.end();
}

// The fixed keys, or the JWKS source's; fetched early when the set lacks the token's kid.
Task<std::shared_ptr<const KeySet>> JwtAuthenticator::key_set(const std::string& kid) const {
    if (!config_.jwks) co_return config_.fixed_keys;
    auto keys = config_.jwks->keys();
    if (!keys || (!kid.empty() && !keys->has_kid(kid))) {
        keys = co_await config_.jwks->refresh_and_wait(config_.refresh_wait);
    }
    co_return keys;
}

Task<AuthResult> JwtAuthenticator::authenticate(const RequestContext&,
                                                const RequestHead& req) const {
    auto bearer = bearer_token(req);
    if (!bearer) co_return AuthResult::absent();
    std::string why;
    JwtToken token;
    if (!parse_jwt(*bearer, token, why)) co_return invalid(std::move(why));
    // "none", unknown names and algorithms this authenticator does not list all stop here.
    auto alg = parse_jwt_alg(token.alg);
    if (!alg || !allowed(*alg)) co_return invalid("token algorithm is not accepted");
    auto keys = co_await key_set(token.kid);
    if (!keys) {
        AuthResult r;
        r.status = AuthResult::Status::unavailable;
        r.message = "token signing keys are not available yet";  // the reason is in the log
        co_return r;
    }
    if (!token.kid.empty() && !keys->has_kid(token.kid)) {
        co_return invalid("token key id is not known");
    }
    if (!verified(*keys, token, *alg)) co_return invalid("token signature is not valid");
    co_return check_claims(token.payload, config_.rules, config_.clock());
}

void JwtAuthenticator::strip_credential(RequestHead& req, std::string&) const {
    strip_bearer(req);
}

}  // namespace gw::middleware::auth
