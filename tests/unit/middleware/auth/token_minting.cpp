#include "token_minting.h"

#include <memory>
#include <stdexcept>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "middleware/auth/base64url.h"

namespace gw::middleware::auth::test {
namespace {

std::string b64(std::string_view s) { return base64url_encode(s); }

std::string bn_param(EVP_PKEY* key, const char* name) {
    BIGNUM* bn = nullptr;
    if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) throw std::runtime_error("bn param");
    std::string out(static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
    BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
    BN_free(bn);
    return out;
}

std::string pub_octets(EVP_PKEY* key) {
    unsigned char buf[256];
    std::size_t len = 0;
    if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, buf, sizeof buf, &len) !=
        1) {
        throw std::runtime_error("pub key param");
    }
    return std::string(reinterpret_cast<char*>(buf), len);
}

const EVP_MD* md_for(std::string_view alg) {
    if (alg.ends_with("384")) return EVP_sha384();
    if (alg.ends_with("512")) return EVP_sha512();
    if (alg == "EdDSA") return nullptr;
    return EVP_sha256();
}

// DER ECDSA signature -> fixed-size r||s as JWS wants it.
std::string der_to_raw(const std::string& der, std::size_t coord) {
    const auto* p = reinterpret_cast<const unsigned char*>(der.data());
    ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
    std::string out(2 * coord, '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(out.data()),
                 static_cast<int>(coord));
    BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(out.data() + coord),
                 static_cast<int>(coord));
    ECDSA_SIG_free(sig);
    return out;
}

std::string sign_pkey(std::string_view alg, std::string_view input, EVP_PKEY* key) {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                                 EVP_MD_CTX_free);
    EVP_PKEY_CTX* pctx = nullptr;
    if (EVP_DigestSignInit(ctx.get(), &pctx, md_for(alg), nullptr, key) != 1) {
        throw std::runtime_error("sign init");
    }
    if (alg.starts_with("PS")) {
        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
    }
    std::size_t len = 0;
    const auto* in = reinterpret_cast<const unsigned char*>(input.data());
    EVP_DigestSign(ctx.get(), nullptr, &len, in, input.size());
    std::string sig(len, '\0');
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, in,
                       input.size()) != 1) {
        throw std::runtime_error("sign");
    }
    sig.resize(len);
    if (alg == "ES256") return der_to_raw(sig, 32);
    if (alg == "ES384") return der_to_raw(sig, 48);
    return sig;
}

std::string sign_hmac(std::string_view alg, std::string_view input, std::string_view secret) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(md_for(alg), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
    return std::string(reinterpret_cast<char*>(mac), len);
}

}  // namespace

PkeyPtr make_rsa(int bits) {
    return adopt_pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits)));
}
PkeyPtr make_ec(const char* group) {
    return adopt_pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", group));
}
PkeyPtr make_ed25519() { return adopt_pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")); }

const PkeyPtr& rsa_key() {
    static const PkeyPtr k = make_rsa();
    return k;
}
const PkeyPtr& rsa_key2() {
    static const PkeyPtr k = make_rsa();
    return k;
}
const PkeyPtr& p256_key() {
    static const PkeyPtr k = make_ec("P-256");
    return k;
}
const PkeyPtr& p384_key() {
    static const PkeyPtr k = make_ec("P-384");
    return k;
}
const PkeyPtr& ed25519_key() {
    static const PkeyPtr k = make_ed25519();
    return k;
}

std::string public_pem(EVP_PKEY* key) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    PEM_write_bio_PUBKEY(bio.get(), key);
    char* data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(len));
}

std::string jwk_of(EVP_PKEY* key, std::string_view kid, std::string_view alg) {
    std::string common = "\"kid\":\"" + std::string(kid) + "\"";
    if (!alg.empty()) common += ",\"alg\":\"" + std::string(alg) + "\"";
    if (EVP_PKEY_is_a(key, "RSA")) {
        return "{\"kty\":\"RSA\"," + common + ",\"n\":\"" +
               b64(bn_param(key, OSSL_PKEY_PARAM_RSA_N)) + "\",\"e\":\"" +
               b64(bn_param(key, OSSL_PKEY_PARAM_RSA_E)) + "\"}";
    }
    if (EVP_PKEY_is_a(key, "ED25519")) {
        return "{\"kty\":\"OKP\",\"crv\":\"Ed25519\"," + common + ",\"x\":\"" +
               b64(pub_octets(key)) + "\"}";
    }
    std::string point = pub_octets(key);  // 04 || x || y
    const std::size_t n = (point.size() - 1) / 2;
    return "{\"kty\":\"EC\",\"crv\":\"" + std::string(n == 32 ? "P-256" : "P-384") + "\"," +
           common + ",\"x\":\"" + b64(point.substr(1, n)) + "\",\"y\":\"" +
           b64(point.substr(1 + n)) + "\"}";
}

std::string jwks_of(std::initializer_list<std::string> jwks) {
    std::string out = "{\"keys\":[";
    for (const auto& j : jwks) out += (out.back() == '[' ? "" : ",") + j;
    return out + "]}";
}

std::string sign_jwt(std::string_view alg, std::string_view payload_json, EVP_PKEY* key,
                     std::string_view kid, std::string_view secret,
                     std::string_view header_json) {
    std::string header(header_json);
    if (header.empty()) {
        header = "{\"alg\":\"" + std::string(alg) + "\"";
        if (!kid.empty()) header += ",\"kid\":\"" + std::string(kid) + "\"";
        header += ",\"typ\":\"JWT\"}";
    }
    std::string input = b64(header) + "." + b64(payload_json);
    std::string sig = alg.starts_with("HS") ? sign_hmac(alg, input, secret)
                      : alg == "none"       ? std::string()
                                            : sign_pkey(alg, input, key);
    return input + "." + b64(sig);
}

}  // namespace gw::middleware::auth::test
