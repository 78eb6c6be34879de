#include "middleware/oauth2_client/token_request.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>

#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <rapidjson/document.h>

#include "config/text.h"

namespace gw::middleware::oauth2_client {
namespace {

// application/x-www-form-urlencoded value: everything but the unreserved characters escaped.
std::string form_encoded(std::string_view s) {
    return boost::urls::encode(s, boost::urls::unreserved_chars);
}

void append_param(std::string& body, std::string_view name, std::string_view value) {
    if (!body.empty()) body += '&';
    body += name;
    body += '=';
    body += form_encoded(value);
}

std::string basic_authorization(const config::OAuth2Client& s) {
    std::string pair = form_encoded(s.client_id) + ":" + form_encoded(s.client_secret);
    std::string out(4 * ((pair.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(pair.data()),
                            static_cast<int>(pair.size()));
    out.resize(static_cast<std::size_t>(n));
    OPENSSL_cleanse(pair.data(), pair.size());
    return "Basic " + out;
}

std::string scope_value(const std::vector<std::string>& scopes) {
    std::string out;
    for (const auto& s : scopes) out += (out.empty() ? "" : " ") + s;
    return out;
}

// RFC 6749 error codes are printable ASCII without '"' and '\'; anything else (or anything
// long) is not echoed into the log.
std::string safe_error_code(std::string_view code) {
    if (code.empty() || code.size() > 64) return {};
    for (char c : code) {
        if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') return {};
    }
    return std::string(code);
}

// An access token goes into a header: visible ASCII only (RFC 6750 b64token is a subset).
bool header_safe(std::string_view token) {
    return !token.empty() &&
           std::all_of(token.begin(), token.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

std::optional<std::chrono::seconds> lifetime_of(const rapidjson::Value& doc) {
    auto it = doc.FindMember("expires_in");
    if (it == doc.MemberEnd()) return kDefaultLifetime;
    double seconds = 0;
    if (it->value.IsNumber()) {
        seconds = it->value.GetDouble();
    } else if (it->value.IsString()) {  // some servers send "3600"
        char* end = nullptr;
        seconds = std::strtod(it->value.GetString(), &end);
        if (end == it->value.GetString() || *end != '\0') return std::nullopt;
    } else {
        return std::nullopt;
    }
    if (!(seconds >= 1)) return std::nullopt;  // also NaN
    seconds = std::min(seconds, static_cast<double>(kMaxLifetime.count()));
    return std::chrono::seconds(static_cast<std::int64_t>(seconds));
}

}  // namespace

server::FetchRequest token_request(const config::OAuth2Client& s, config::Duration timeout) {
    server::FetchRequest req;
    req.method = "POST";
    req.url = s.token_url;
    req.timeout = timeout;
    req.tls = s.tls;
    req.max_body = 64 * 1024;  // a token answer is small; more is a broken endpoint
    req.headers.emplace_back("content-type", "application/x-www-form-urlencoded");
    req.headers.emplace_back("accept", "application/json");
    append_param(req.body, "grant_type", "client_credentials");
    if (!s.scopes.empty()) append_param(req.body, "scope", scope_value(s.scopes));
    if (!s.audience.empty()) append_param(req.body, "audience", s.audience);
    if (s.auth_method == config::OAuth2Client::AuthMethod::client_secret_post) {
        append_param(req.body, "client_id", s.client_id);
        append_param(req.body, "client_secret", s.client_secret);
    } else {
        req.headers.emplace_back("authorization", basic_authorization(s));
    }
    return req;
}

GrantResult parse_token_response(const server::FetchResponse& res) {
    rapidjson::Document doc;
    doc.Parse(res.body.data(), res.body.size());
    bool object = !doc.HasParseError() && doc.IsObject();
    if (res.status < 200 || res.status > 299) {
        std::string why = "token endpoint answered " + std::to_string(res.status);
        if (!object) return {std::nullopt, why};  // MemberEnd() of a non-object is undefined
        auto it = doc.FindMember("error");
        if (it != doc.MemberEnd() && it->value.IsString()) {
            std::string code = safe_error_code(it->value.GetString());
            if (!code.empty()) why += " (" + code + ")";
        }
        return {std::nullopt, why};
    }
    if (!object) return {std::nullopt, "token endpoint answer is not a JSON object"};
    auto token = doc.FindMember("access_token");
    if (token == doc.MemberEnd() || !token->value.IsString() ||
        !header_safe(std::string_view(token->value.GetString(), token->value.GetStringLength())))
        return {std::nullopt, "token endpoint answer has no usable access_token"};
    auto type = doc.FindMember("token_type");
    if (type != doc.MemberEnd() &&
        (!type->value.IsString() || !config::iequals(type->value.GetString(), "bearer")))
        return {std::nullopt, "token endpoint answer has a token_type other than Bearer"};
    auto lifetime = lifetime_of(doc);
    if (!lifetime) return {std::nullopt, "token endpoint answer has a bad expires_in"};
    Grant g{std::string(token->value.GetString(), token->value.GetStringLength()), *lifetime};
    return {std::move(g), {}};
}

}  // namespace gw::middleware::oauth2_client
