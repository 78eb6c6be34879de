// Test helpers: keys generated with OpenSSL and JWTs signed with them in the test, so the
// verification code is checked against OpenSSL's own signing, with nothing from the machine.
#pragma once

#include <string>
#include <string_view>

#include "middleware/auth/jwt_key.h"

namespace gw::middleware::auth::test {

PkeyPtr make_rsa(int bits = 2048);
PkeyPtr make_ec(const char* group);  // "P-256", "P-384"
PkeyPtr make_ed25519();
// Generated once per test run (RSA generation is slow).
const PkeyPtr& rsa_key();
const PkeyPtr& rsa_key2();
const PkeyPtr& p256_key();
const PkeyPtr& p384_key();
const PkeyPtr& ed25519_key();

// The public key as PEM (SubjectPublicKeyInfo).
std::string public_pem(EVP_PKEY* key);
// The public key as a JWK object, e.g. {"kty":"RSA","kid":"k1","n":"...","e":"AQAB"}.
std::string jwk_of(EVP_PKEY* key, std::string_view kid, std::string_view alg = "");
// {"keys":[...]} of the given JWK texts.
std::string jwks_of(std::initializer_list<std::string> jwks);

// A compact JWS: base64url(header) "." base64url(payload) "." base64url(signature), signed
// with `key` (asymmetric algorithms) or `secret` (HS*). The header is {"alg":..,"kid":..}
// unless `header_json` is given.
std::string sign_jwt(std::string_view alg, std::string_view payload_json, EVP_PKEY* key,
                     std::string_view kid = "", std::string_view secret = "",
                     std::string_view header_json = "");

}  // namespace gw::middleware::auth::test
