// Key sets from a JWKS document (RFC 7517) and single keys from PEM files. Keys are built with
// OSSL_PARAM_BLD / EVP_PKEY_fromdata. Called on the control thread (JWKS refresh) and while
// loading the configuration (PEM); the results are immutable.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "middleware/auth/jwt_key.h"

namespace gw::middleware::auth {

// Largest JWKS document accepted (the fetch is bounded by this too).
constexpr std::size_t kMaxJwksBytes = 512 * 1024;

// The usable signing keys of a JWKS document: RSA (n, e; 2048 bits or more), EC P-256/P-384
// (crv, x, y; the point must be on the curve) and OKP Ed25519 (x). Keys for another use than
// "sig", with an unknown "alg", or of other types (including symmetric "oct" keys, which a
// published key set must never hold) are skipped. Null with `why` set when the document is
// not a JWKS or holds no usable key.
std::shared_ptr<const KeySet> parse_jwks(std::string_view json, std::string& why);

// A public key (or the key of a certificate) in PEM text. nullopt with `why` when there is
// none or it is of a kind JWTs cannot use.
std::optional<JwtKey> parse_pem_key(std::string_view pem, std::string& why);

}  // namespace gw::middleware::auth
