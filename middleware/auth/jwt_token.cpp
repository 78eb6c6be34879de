#include "middleware/auth/jwt_token.h"

#include <optional>

#include "middleware/auth/base64url.h"

namespace gw::middleware::auth {
namespace {

constexpr std::size_t kMaxSignatureBytes = 1024;  // RSA 8192 is 1024 bytes

// Parses decoded JSON text as an object; false on anything else (arrays, trailing garbage).
// Iterative: a payload of nested brackets must not recurse down the worker's stack.
bool parse_object(const std::string& text, rapidjson::Document& doc) {
    doc.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());
    return !doc.HasParseError() && doc.IsObject();
}

std::optional<std::string> string_field(const rapidjson::Document& doc, const char* name,
                                        bool& bad_type) {
    auto it = doc.FindMember(name);
    if (it == doc.MemberEnd()) return std::nullopt;
    if (!it->value.IsString()) {
        bad_type = true;
        return std::nullopt;
    }
    return std::string(it->value.GetString(), it->value.GetStringLength());
}

bool parse_header(std::string_view part, JwtToken& out, std::string& why) {
    auto text = base64url_decode(part, kMaxTokenBytes);
    char buffer[1024];
    rapidjson::MemoryPoolAllocator<> allocator(buffer, sizeof buffer, sizeof buffer);
    rapidjson::Document header(&allocator);
    if (!text || !parse_object(*text, header)) {
        why = "token header is not base64url-encoded JSON";
        return false;
    }
    bool bad_type = false;
    auto alg = string_field(header, "alg", bad_type);
    auto kid = string_field(header, "kid", bad_type);
    if (!alg || bad_type) {
        why = "token header has no string alg";
        return false;
    }
    // Critical extensions we do not implement must make the token invalid (RFC 7515 4.1.11).
    if (header.HasMember("crit")) {
        why = "token header has unsupported crit extensions";
        return false;
    }
    out.alg = std::move(*alg);
    out.kid = kid.value_or("");
    return true;
}

}  // namespace

bool parse_jwt(std::string_view token, JwtToken& out, std::string& why) {
    if (token.size() > kMaxTokenBytes) {
        why = "token too large";
        return false;
    }
    const auto dot1 = token.find('.');
    const auto dot2 = dot1 == token.npos ? token.npos : token.find('.', dot1 + 1);
    if (dot2 == token.npos || token.find('.', dot2 + 1) != token.npos) {
        why = "token is not three dot-separated parts";
        return false;
    }
    if (!parse_header(token.substr(0, dot1), out, why)) return false;
    auto payload = base64url_decode(token.substr(dot1 + 1, dot2 - dot1 - 1), kMaxTokenBytes);
    if (!payload || !parse_object(*payload, out.payload)) {
        why = "token payload is not base64url-encoded JSON";
        return false;
    }
    auto signature = base64url_decode(token.substr(dot2 + 1), kMaxSignatureBytes);
    if (!signature) {
        why = "token signature is not base64url";
        return false;
    }
    out.signing_input = token.substr(0, dot2);
    out.signature = std::move(*signature);
    return true;
}

}  // namespace gw::middleware::auth
