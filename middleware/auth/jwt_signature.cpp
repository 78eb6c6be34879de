#include "middleware/auth/jwt_signature.h"

#include <memory>
#include <string>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rsa.h>

namespace gw::middleware::auth {
namespace {

struct MdCtxFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct SigFree {
    void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};

// Fetched once: an implicit fetch per verification (EVP_sha256()) costs a provider look-up
// under a lock every time.
const EVP_MD* digest(int bits) {
    static const EVP_MD* const k256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    static const EVP_MD* const k384 = EVP_MD_fetch(nullptr, "SHA384", nullptr);
    static const EVP_MD* const k512 = EVP_MD_fetch(nullptr, "SHA512", nullptr);
    return bits == 256 ? k256 : bits == 384 ? k384 : k512;
}

int digest_bits(JwtAlg alg) {
    switch (alg) {
    case JwtAlg::RS384: case JwtAlg::PS384: case JwtAlg::ES384: case JwtAlg::HS384: return 384;
    case JwtAlg::RS512: case JwtAlg::PS512: case JwtAlg::HS512: return 512;
    default: return 256;
    }
}

bool is_pss(JwtAlg alg) {
    return alg == JwtAlg::PS256 || alg == JwtAlg::PS384 || alg == JwtAlg::PS512;
}

// JWS carries ECDSA signatures as fixed-size big-endian r||s; OpenSSL wants DER.
bool ecdsa_raw_to_der(std::string_view raw, std::size_t coord, std::string& der) {
    if (raw.size() != 2 * coord) return false;
    std::unique_ptr<ECDSA_SIG, SigFree> sig(ECDSA_SIG_new());
    const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
    BIGNUM* r = BN_bin2bn(p, static_cast<int>(coord), nullptr);
    BIGNUM* s = BN_bin2bn(p + coord, static_cast<int>(coord), nullptr);
    if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
        BN_free(r);
        BN_free(s);
        return false;
    }
    const int len = i2d_ECDSA_SIG(sig.get(), nullptr);
    if (len <= 0) return false;
    der.resize(static_cast<std::size_t>(len));
    auto* out = reinterpret_cast<unsigned char*>(der.data());
    return i2d_ECDSA_SIG(sig.get(), &out) == len;
}

struct MacCtxFree {
    void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
};
using MacCtx = std::unique_ptr<EVP_MAC_CTX, MacCtxFree>;

// An HMAC context of this thread for one digest, its digest set once. HMAC() fetches the MAC
// and the digest by name, allocates and frees a context on every call: half of an HS256
// verification's instructions. Each call re-keys it (EVP_MAC_init): one verification never
// runs with another's key. Never shared: every worker thread has its own.
EVP_MAC_CTX* hmac_context(int bits) {
    static EVP_MAC* const kHmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    auto make = [](const char* name) {
        MacCtx ctx(kHmac ? EVP_MAC_CTX_new(kHmac) : nullptr);
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(name), 0),
            OSSL_PARAM_construct_end()};
        if (ctx && EVP_MAC_CTX_set_params(ctx.get(), params) != 1) ctx.reset();
        return ctx;
    };
    thread_local const MacCtx k256 = make("SHA256");
    thread_local const MacCtx k384 = make("SHA384");
    thread_local const MacCtx k512 = make("SHA512");
    return (bits == 256 ? k256 : bits == 384 ? k384 : k512).get();
}

bool verify_hmac(JwtAlg alg, const std::string& secret, std::string_view input,
                 std::string_view signature) {
    EVP_MAC_CTX* ctx = hmac_context(digest_bits(alg));
    unsigned char mac[EVP_MAX_MD_SIZE];
    std::size_t len = 0;
    if (ctx == nullptr ||
        EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(secret.data()), secret.size(),
                     nullptr) != 1 ||
        EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(input.data()),
                       input.size()) != 1 ||
        EVP_MAC_final(ctx, mac, &len, sizeof mac) != 1) {
        return false;
    }
    return signature.size() == len && CRYPTO_memcmp(mac, signature.data(), len) == 0;
}

bool verify_pkey(JwtAlg alg, EVP_PKEY* key, std::string_view input, std::string_view sig) {
    std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
    if (!ctx) return false;
    EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
    const EVP_MD* md = alg == JwtAlg::EdDSA ? nullptr : digest(digest_bits(alg));
    if (EVP_DigestVerifyInit(ctx.get(), &pctx, md, nullptr, key) != 1) return false;
    if (is_pss(alg)) {
        // RFC 7518 3.5: MGF1 with the same hash, salt as long as the hash.
        if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
            EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1) {
            return false;
        }
    }
    std::string der;
    if (alg == JwtAlg::ES256 || alg == JwtAlg::ES384) {
        if (!ecdsa_raw_to_der(sig, alg == JwtAlg::ES256 ? 32 : 48, der)) return false;
        sig = der;
    }
    return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()),
                            sig.size(), reinterpret_cast<const unsigned char*>(input.data()),
                            input.size()) == 1;
}

}  // namespace

bool verify_signature(JwtAlg alg, const JwtKey& key, std::string_view signing_input,
                      std::string_view signature) {
    // Checked by the caller's key selection too; repeated here because this is the line that
    // stops an HS256 token from being checked against an RSA key's bytes.
    if (key.kind != key_kind_for(alg)) return false;
    if (key.alg && *key.alg != alg) return false;
    bool ok = key.kind == KeyKind::secret
                  ? !key.secret.empty() && verify_hmac(alg, key.secret, signing_input, signature)
                  : key.pkey && verify_pkey(alg, key.pkey.get(), signing_input, signature);
    // Failed verifications leave entries in this thread's OpenSSL error queue; they are
    // expected here and must not be reported by the next TLS call on this worker.
    if (!ok) ERR_clear_error();
    return ok;
}

}  // namespace gw::middleware::auth
