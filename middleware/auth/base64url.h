// Base64 for tokens and credentials, through OpenSSL's EVP_EncodeBlock/EVP_DecodeBlock. JWTs use
// the URL-safe alphabet without padding (RFC 7515 section 2), which OpenSSL does not decode:
// the input is translated to the standard alphabet first. Pure functions; any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace gw::middleware::auth {

// Decodes unpadded base64url. Refuses characters outside the alphabet, padding, a length that
// no encoding has (n % 4 == 1), non-zero trailing bits, and input whose decoded size would
// exceed max_decoded: nullopt in every such case.
std::optional<std::string> base64url_decode(std::string_view in, std::size_t max_decoded);

// Unpadded base64url (for tests that mint tokens, and for cache keys).
std::string base64url_encode(std::string_view in);

// Standard padded base64 (HTTP Basic credentials).
std::string base64_encode(std::string_view in);

}  // namespace gw::middleware::auth
