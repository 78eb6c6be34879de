#include "middleware/auth/jwks.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <rapidjson/document.h>

#include "middleware/auth/base64url.h"

namespace gw::middleware::auth {
namespace {

constexpr std::size_t kMaxKeyBytes = 2048;  // 16384-bit RSA modulus
constexpr std::size_t kMaxKeys = 64;

struct BldFree {
    void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct ParamFree {
    void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct CtxFree {
    void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct BnFree {
    void operator()(BIGNUM* b) const { BN_free(b); }
};
struct BioFree {
    void operator()(BIO* b) const { BIO_free(b); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;

std::optional<std::string> member(const rapidjson::Value& jwk, const char* name) {
    auto it = jwk.FindMember(name);
    if (it == jwk.MemberEnd() || !it->value.IsString()) return std::nullopt;
    return std::string(it->value.GetString(), it->value.GetStringLength());
}

std::optional<std::string> b64_member(const rapidjson::Value& jwk, const char* name) {
    auto s = member(jwk, name);
    if (!s) return std::nullopt;
    return base64url_decode(*s, kMaxKeyBytes);
}

PkeyPtr from_params(const char* type, OSSL_PARAM_BLD* bld) {
    std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld));
    std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
    EVP_PKEY* key = nullptr;
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
        EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
        return nullptr;
    }
    return adopt_pkey(key);
}

PkeyPtr rsa_key(const rapidjson::Value& jwk) {
    auto n = b64_member(jwk, "n");
    auto e = b64_member(jwk, "e");
    if (!n || !e || n->empty() || e->empty()) return nullptr;
    BnPtr bn_n(BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()),
                         static_cast<int>(n->size()), nullptr));
    BnPtr bn_e(BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()),
                         static_cast<int>(e->size()), nullptr));
    std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
    if (!bn_n || !bn_e || !bld ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
        return nullptr;
    }
    return from_params("RSA", bld.get());
}

// The uncompressed point 04||x||y; x and y must have the curve's exact size.
PkeyPtr ec_key(const rapidjson::Value& jwk) {
    auto crv = member(jwk, "crv");
    auto x = b64_member(jwk, "x");
    auto y = b64_member(jwk, "y");
    if (!crv || !x || !y) return nullptr;
    const std::size_t size = *crv == "P-256" ? 32 : *crv == "P-384" ? 48 : 0;
    if (size == 0 || x->size() != size || y->size() != size) return nullptr;
    std::string point = "\x04" + *x + *y;
    std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
    const char* group = size == 32 ? "prime256v1" : "secp384r1";
    if (!bld ||
        OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                         point.size()) != 1) {
        return nullptr;
    }
    return from_params("EC", bld.get());
}

PkeyPtr okp_key(const rapidjson::Value& jwk) {
    auto crv = member(jwk, "crv");
    auto x = b64_member(jwk, "x");
    if (!crv || *crv != "Ed25519" || !x || x->size() != 32) return nullptr;
    std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
    if (!bld || OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, x->data(),
                                                 x->size()) != 1) {
        return nullptr;
    }
    return from_params("ED25519", bld.get());
}

// Public-key validation: EC points on the curve, sane RSA parameters.
bool public_check(EVP_PKEY* key) {
    std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
    return ctx && EVP_PKEY_public_check(ctx.get()) == 1;
}

std::optional<JwtKey> parse_jwk(const rapidjson::Value& jwk) {
    if (!jwk.IsObject()) return std::nullopt;
    auto kty = member(jwk, "kty");
    auto use = member(jwk, "use");
    if (!kty || (use && *use != "sig")) return std::nullopt;
    JwtKey key;
    if (auto alg = member(jwk, "alg")) {
        key.alg = parse_jwt_alg(*alg);
        if (!key.alg) return std::nullopt;
    }
    key.kid = member(jwk, "kid").value_or("");
    PkeyPtr pkey = *kty == "RSA" ? rsa_key(jwk)
                   : *kty == "EC" ? ec_key(jwk)
                   : *kty == "OKP" ? okp_key(jwk)
                                  : nullptr;
    auto kind = kind_of(pkey.get());
    if (!kind || !public_check(pkey.get())) return std::nullopt;
    if (key.alg && key_kind_for(*key.alg) != *kind) return std::nullopt;
    key.kind = *kind;
    key.pkey = std::move(pkey);
    return key;
}

std::shared_ptr<const KeySet> parse_keys(const rapidjson::Value& list, std::string& why) {
    auto set = std::make_shared<KeySet>();
    for (const auto& jwk : list.GetArray()) {
        if (set->keys.size() == kMaxKeys) break;
        if (auto key = parse_jwk(jwk)) set->keys.push_back(std::move(*key));
    }
    if (set->keys.empty()) {
        why = "no usable signing key in the key set";
        return nullptr;
    }
    return set;
}

}  // namespace

std::shared_ptr<const KeySet> parse_jwks(std::string_view json, std::string& why) {
    if (json.size() > kMaxJwksBytes) {
        why = "key set larger than " + std::to_string(kMaxJwksBytes) + " bytes";
        return nullptr;
    }
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size());
    if (doc.HasParseError() || !doc.IsObject()) {
        why = "not a JSON object";
        return nullptr;
    }
    auto keys = doc.FindMember("keys");
    if (keys == doc.MemberEnd() || !keys->value.IsArray()) {
        why = "no \"keys\" array";
        return nullptr;
    }
    auto set = parse_keys(keys->value, why);
    ERR_clear_error();  // keys that failed to build left errors on this thread's queue
    return set;
}

std::optional<JwtKey> parse_pem_key(std::string_view pem, std::string& why) {
    std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    EVP_PKEY* raw = bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr;
    if (raw == nullptr && bio) {
        // Not a bare public key: perhaps a certificate, whose key is the one to use.
        BIO_reset(bio.get());
        if (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
            raw = X509_get_pubkey(cert);
            X509_free(cert);
        }
    }
    ERR_clear_error();
    PkeyPtr pkey = adopt_pkey(raw);
    if (!pkey) {
        why = "not a PEM public key or certificate";
        return std::nullopt;
    }
    auto kind = kind_of(pkey.get());
    if (!kind) {
        why = "expected an RSA key of 2048 bits or more, an EC P-256/P-384 or an Ed25519 key";
        return std::nullopt;
    }
    JwtKey key;
    key.kind = *kind;
    key.pkey = std::move(pkey);
    return key;
}

}  // namespace gw::middleware::auth
