// Verification keys for JWTs and the one place that ties an algorithm to the kind of key it
// may use: an RS256 token is checked only with an RSA key, an HS256 token only with a
// configured secret. That is the defence against algorithm confusion (an HS256 token "signed"
// with the bytes of the RSA public key). Immutable once built; shared by every thread
// (OpenSSL allows concurrent verification with one EVP_PKEY).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/evp.h>

namespace gw::middleware::auth {

enum class JwtAlg : std::uint8_t {
    RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA, HS256, HS384, HS512
};
std::optional<JwtAlg> parse_jwt_alg(std::string_view name);
std::string_view jwt_alg_name(JwtAlg alg);

enum class KeyKind : std::uint8_t { rsa, ec_p256, ec_p384, ed25519, secret };
// The only kind of key a token with this algorithm may be verified with.
KeyKind key_kind_for(JwtAlg alg);
std::string_view key_kind_name(KeyKind kind);

struct PkeyFree {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using PkeyPtr = std::shared_ptr<EVP_PKEY>;
inline PkeyPtr adopt_pkey(EVP_PKEY* k) { return PkeyPtr(k, PkeyFree{}); }

// The kind of an asymmetric key OpenSSL loaded (PEM, JWK); nullopt for anything we do not
// verify with (RSA under 2048 bits, other curves, DSA...).
std::optional<KeyKind> kind_of(EVP_PKEY* key);

struct JwtKey {
    std::string kid;            // "" when the key has none
    KeyKind kind = KeyKind::rsa;
    PkeyPtr pkey;               // asymmetric kinds
    std::string secret;         // kind == secret
    std::optional<JwtAlg> alg;  // the JWK's "alg": when set, the only algorithm it verifies
};

struct KeySet {
    std::vector<JwtKey> keys;
    // True when a key with this kid exists (whatever its kind).
    bool has_kid(std::string_view kid) const;
};

}  // namespace gw::middleware::auth
