#include "middleware/auth/digest.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdexcept>

#include "routes/percent.h"

namespace gw::middleware::auth {

Digest sha256(std::string_view data) {
    // Fetched once: an implicit fetch by name on every call costs a provider lookup.
    static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    Digest out{};
    unsigned int len = 0;
    if (kSha256 == nullptr ||
        EVP_Digest(data.data(), data.size(), out.data(), &len, kSha256, nullptr) != 1)
        throw std::runtime_error("SHA-256 unavailable in OpenSSL");
    return out;
}

Digest hmac_sha256(std::string_view key, std::string_view data) {
    Digest out{};
    unsigned int len = 0;
    if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(),
             &len) == nullptr)
        throw std::runtime_error("HMAC-SHA256 unavailable in OpenSSL");
    return out;
}

bool digest_equal(const Digest& a, const Digest& b) {
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::optional<Digest> digest_from_hex(std::string_view hex) {
    Digest out{};
    if (hex.size() != out.size() * 2) return std::nullopt;
    for (std::size_t i = 0; i < out.size(); ++i) {
        int hi = routes::hex_value(hex[2 * i]);
        int lo = routes::hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out[i] = static_cast<unsigned char>(hi * 16 + lo);
    }
    return out;
}

}  // namespace gw::middleware::auth
