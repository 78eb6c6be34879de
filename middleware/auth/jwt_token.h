// A compact JWS (RFC 7515) taken apart: header fields, decoded signature, payload JSON. Nothing
// here is trusted yet: the signature is checked by the caller. Every input, however large,
// truncated or malformed, gets an answer; none throws.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

namespace gw::middleware::auth {

// Tokens longer than this are refused before any decoding.
constexpr std::size_t kMaxTokenBytes = 8 * 1024;

struct JwtToken {
    std::string_view signing_input;  // "header.payload" as sent (a view into the input)
    std::string alg;                 // header "alg" as sent
    std::string kid;                 // header "kid", "" when absent
    std::string signature;           // decoded
    rapidjson::Document payload;     // an object
};

// nullopt with `why` (for the caller's 401 message: no token bytes in it) when the token is
// not three base64url parts of a JSON object header with a string "alg", a JSON object
// payload, and a signature.
std::optional<JwtToken> parse_jwt(std::string_view token, std::string& why);

}  // namespace gw::middleware::auth
