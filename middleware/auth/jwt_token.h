// A compact JWS (RFC 7515) taken apart: header fields, decoded signature, payload JSON. Nothing
// here is trusted yet: the signature is checked by the caller. Every input, however large,
// truncated or malformed, gets an answer; none throws.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

namespace gw::middleware::auth {

// Tokens longer than this are refused before any decoding.
constexpr std::size_t kMaxTokenBytes = 8 * 1024;

// Lives in the request's coroutine frame; not movable, because the payload's allocator points
// into the token itself (RapidJSON's default would malloc a 64 KiB chunk per request).
struct JwtToken {
    JwtToken() = default;
    JwtToken(const JwtToken&) = delete;
    JwtToken& operator=(const JwtToken&) = delete;

    std::string_view signing_input;  // "header.payload" as sent (a view into the input)
    std::string alg;                 // header "alg" as sent
    std::string kid;                 // header "kid", "" when absent
    std::string signature;           // decoded
    alignas(8) char json_buffer[2048];
    rapidjson::MemoryPoolAllocator<> allocator{json_buffer, sizeof json_buffer, 2048};
    rapidjson::Document payload{&allocator};  // an object
};

// False with `why` (for the caller's 401 message: no token bytes in it) when the token is not
// three base64url parts of a JSON object header with a string "alg", a JSON object payload,
// and a signature.
bool parse_jwt(std::string_view token, JwtToken& out, std::string& why);

}  // namespace gw::middleware::auth
