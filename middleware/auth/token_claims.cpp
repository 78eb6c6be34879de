#include "middleware/auth/token_claims.h"

#include <algorithm>
#include <optional>
#include <string_view>

namespace gw::middleware::auth {
namespace {

AuthResult refuse(std::string_view code, std::string message) {
    return AuthResult::failed(code, std::move(message));
}

// A NumericDate (seconds, possibly fractional); false when present but not a number.
bool numeric_date(const rapidjson::Value& claims, const char* name, std::optional<double>& out) {
    auto it = claims.FindMember(name);
    if (it == claims.MemberEnd()) return true;
    if (!it->value.IsNumber()) return false;
    out = it->value.GetDouble();
    return true;
}

bool string_equals(const rapidjson::Value& v, std::string_view s) {
    return v.IsString() && std::string_view(v.GetString(), v.GetStringLength()) == s;
}

bool audience_matches(const rapidjson::Value& claims, const std::vector<std::string>& wanted) {
    if (wanted.empty()) return true;
    auto it = claims.FindMember("aud");
    if (it == claims.MemberEnd()) return false;
    auto any_wanted = [&](const rapidjson::Value& v) {
        return std::any_of(wanted.begin(), wanted.end(),
                           [&](const std::string& w) { return string_equals(v, w); });
    };
    if (it->value.IsArray()) {
        const auto& list = it->value.GetArray();
        return std::any_of(list.begin(), list.end(), any_wanted);
    }
    return any_wanted(it->value);
}

void split_scopes(std::string_view s, std::vector<std::string>& out) {
    while (!s.empty()) {
        auto space = s.find(' ');
        auto word = s.substr(0, space);
        if (!word.empty()) out.emplace_back(word);
        if (space == s.npos) break;
        s.remove_prefix(space + 1);
    }
}

}  // namespace

std::vector<std::string> read_scopes(const rapidjson::Value& claims) {
    std::vector<std::string> out;
    auto scope = claims.FindMember("scope");
    if (scope != claims.MemberEnd() && scope->value.IsString()) {
        split_scopes({scope->value.GetString(), scope->value.GetStringLength()}, out);
        return out;
    }
    auto scp = claims.FindMember("scp");
    if (scp == claims.MemberEnd()) return out;
    if (scp->value.IsString()) {
        split_scopes({scp->value.GetString(), scp->value.GetStringLength()}, out);
    } else if (scp->value.IsArray()) {
        for (const auto& v : scp->value.GetArray()) {
            if (v.IsString()) out.emplace_back(v.GetString(), v.GetStringLength());
        }
    }
    return out;
}

AuthResult check_claims(const rapidjson::Value& claims, const ClaimRules& rules,
                        std::int64_t now) {
    std::optional<double> exp, nbf;
    if (!numeric_date(claims, "exp", exp) || !numeric_date(claims, "nbf", nbf)) {
        return refuse("invalid_token", "token exp or nbf is not a number");
    }
    const double leeway = static_cast<double>(rules.leeway.count());
    const double t = static_cast<double>(now);
    if (!exp && rules.require_exp) return refuse("invalid_token", "token has no exp");
    if (exp && t >= *exp + leeway) return refuse("token_expired", "token has expired");
    if (nbf && t + leeway < *nbf) return refuse("invalid_token", "token is not valid yet");
    if (!rules.issuer.empty()) {
        auto iss = claims.FindMember("iss");
        if (iss == claims.MemberEnd() || !string_equals(iss->value, rules.issuer)) {
            return refuse("invalid_token", "token issuer is not accepted");
        }
    }
    if (!audience_matches(claims, rules.audiences)) {
        return refuse("invalid_token", "token audience is not accepted");
    }
    AuthResult ok;
    ok.status = AuthResult::Status::ok;
    auto sub = claims.FindMember("sub");
    if (sub != claims.MemberEnd() && sub->value.IsString()) {
        ok.subject.assign(sub->value.GetString(), sub->value.GetStringLength());
    }
    ok.scopes = read_scopes(claims);
    return ok;
}

std::int64_t unix_now() {
    using namespace std::chrono;
    return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace gw::middleware::auth
