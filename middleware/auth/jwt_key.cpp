#include "middleware/auth/jwt_key.h"

#include <array>
#include <cstring>

namespace gw::middleware::auth {
namespace {

constexpr int kMinRsaBits = 2048;

struct AlgName {
    JwtAlg alg;
    std::string_view name;
    KeyKind kind;
};

constexpr std::array<AlgName, 12> kAlgs{{
    {JwtAlg::RS256, "RS256", KeyKind::rsa},      {JwtAlg::RS384, "RS384", KeyKind::rsa},
    {JwtAlg::RS512, "RS512", KeyKind::rsa},      {JwtAlg::PS256, "PS256", KeyKind::rsa},
    {JwtAlg::PS384, "PS384", KeyKind::rsa},      {JwtAlg::PS512, "PS512", KeyKind::rsa},
    {JwtAlg::ES256, "ES256", KeyKind::ec_p256},  {JwtAlg::ES384, "ES384", KeyKind::ec_p384},
    {JwtAlg::EdDSA, "EdDSA", KeyKind::ed25519},  {JwtAlg::HS256, "HS256", KeyKind::secret},
    {JwtAlg::HS384, "HS384", KeyKind::secret},   {JwtAlg::HS512, "HS512", KeyKind::secret},
}};

const AlgName& entry(JwtAlg alg) { return kAlgs[static_cast<std::size_t>(alg)]; }

}  // namespace

std::optional<JwtAlg> parse_jwt_alg(std::string_view name) {
    // Exact, case-sensitive (RFC 7518): "none", "rs256" and the like are not algorithms here.
    for (const auto& a : kAlgs) {
        if (a.name == name) return a.alg;
    }
    return std::nullopt;
}

std::string_view jwt_alg_name(JwtAlg alg) { return entry(alg).name; }

KeyKind key_kind_for(JwtAlg alg) { return entry(alg).kind; }

std::string_view key_kind_name(KeyKind kind) {
    switch (kind) {
    case KeyKind::rsa: return "RSA";
    case KeyKind::ec_p256: return "EC P-256";
    case KeyKind::ec_p384: return "EC P-384";
    case KeyKind::ed25519: return "Ed25519";
    case KeyKind::secret: return "secret";
    }
    return "?";
}

std::optional<KeyKind> kind_of(EVP_PKEY* key) {
    if (key == nullptr) return std::nullopt;
    if (EVP_PKEY_is_a(key, "RSA")) {
        if (EVP_PKEY_get_bits(key) < kMinRsaBits) return std::nullopt;
        return KeyKind::rsa;
    }
    if (EVP_PKEY_is_a(key, "ED25519")) return KeyKind::ed25519;
    if (EVP_PKEY_is_a(key, "EC")) {
        char group[64] = {};
        std::size_t len = 0;
        if (EVP_PKEY_get_group_name(key, group, sizeof group, &len) != 1) return std::nullopt;
        if (std::strcmp(group, "prime256v1") == 0 || std::strcmp(group, "P-256") == 0) {
            return KeyKind::ec_p256;
        }
        if (std::strcmp(group, "secp384r1") == 0 || std::strcmp(group, "P-384") == 0) {
            return KeyKind::ec_p384;
        }
    }
    return std::nullopt;
}

bool KeySet::has_kid(std::string_view kid) const {
    for (const auto& k : keys) {
        if (k.kid == kid) return true;
    }
    return false;
}

}  // namespace gw::middleware::auth
