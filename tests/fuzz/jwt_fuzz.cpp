// The JWT parser and verifier: a bearer token is attacker-controlled bytes. The token is parsed,
// its algorithm checked, its signature verified with keys of every kind (an HS256 secret, RSA,
// P-256, P-384, Ed25519) and its claims checked. Inputs starting with '{' are read as a JWKS
// document and those starting with '-' as a PEM key instead (key material from a JWKS URL or a
// file), so one corpus covers every parser of the verifier.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <openssl/evp.h>

#include "middleware/auth/jwks.h"
#include "middleware/auth/jwt_signature.h"
#include "middleware/auth/jwt_token.h"
#include "middleware/auth/token_claims.h"

using namespace gw::middleware::auth;

namespace {

// The seeds' HS256 tokens are signed with this (tests/fuzz/make_seeds.py).
constexpr std::string_view kSecret = "fuzz-secret-0123456789abcdef0123";
constexpr std::int64_t kNow = 1'700'000'000;  // fixed: runs must be reproducible

void check(bool ok) {
    if (!ok) __builtin_trap();  // an invariant broke: libFuzzer reports it as a crash
}

JwtKey asymmetric(EVP_PKEY* pkey, std::string kid) {
    check(pkey != nullptr);
    JwtKey key;
    key.kid = std::move(kid);
    key.kind = kind_of(pkey).value();
    key.pkey = adopt_pkey(pkey);
    return key;
}

// Generated once per process: verification runs against real keys of each kind.
const KeySet& keys() {
    static const KeySet set = [] {
        KeySet s;
        JwtKey secret;
        secret.kid = "hs";
        secret.kind = KeyKind::secret;
        secret.secret = std::string(kSecret);
        s.keys.push_back(std::move(secret));
        s.keys.push_back(asymmetric(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048}),
                                    "rsa"));
        s.keys.push_back(asymmetric(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"), "p256"));
        s.keys.push_back(asymmetric(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"), "p384"));
        s.keys.push_back(asymmetric(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"), "ed"));
        return s;
    }();
    return set;
}

void verify_token(std::string_view text) {
    JwtToken token;
    std::string why;
    if (!parse_jwt(text, token, why)) {
        check(!why.empty());
        return;
    }
    check(token.payload.IsObject());
    check(token.signing_input.size() < text.size());
    auto alg = parse_jwt_alg(token.alg);
    if (alg) {
        check(parse_jwt_alg(jwt_alg_name(*alg)) == alg);
        for (const auto& key : keys().keys) {
            bool ok = verify_signature(*alg, key, token.signing_input, token.signature);
            // Algorithm confusion: a key of another kind never verifies.
            if (ok) check(key.kind == key_kind_for(*alg));
        }
    }
    ClaimRules rules;
    rules.issuer = "https://issuer.example";
    rules.audiences = {"gateway"};
    rules.leeway = std::chrono::seconds(30);
    AuthResult result = check_claims(token.payload, rules, kNow);
    check(result.status == AuthResult::Status::ok || result.status == AuthResult::Status::failed);
    (void)read_scopes(token.payload);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    std::string why;
    if (!text.empty() && text.front() == '{') {
        auto set = parse_jwks(text, why);
        check(set ? !set->keys.empty() : !why.empty());
    } else if (!text.empty() && text.front() == '-') {
        auto key = parse_pem_key(text, why);
        check(key ? key->pkey != nullptr : !why.empty());
    } else {
        verify_token(text);
    }
    return 0;
}
