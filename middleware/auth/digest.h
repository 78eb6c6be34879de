// SHA-256 and HMAC-SHA256 through OpenSSL, and a constant-time comparison, for the
// authenticators (API key digests, the basic-auth verification cache). No crypto of our own.
#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace gw::middleware::auth {

using Digest = std::array<unsigned char, 32>;

Digest sha256(std::string_view data);
// HMAC-SHA256 of `data` under `key`.
Digest hmac_sha256(std::string_view key, std::string_view data);
// CRYPTO_memcmp: the time taken does not depend on where the digests differ.
bool digest_equal(const Digest& a, const Digest& b);
// Exactly 64 hex digits (either case) -> digest; nullopt otherwise.
std::optional<Digest> digest_from_hex(std::string_view hex);

}  // namespace gw::middleware::auth
