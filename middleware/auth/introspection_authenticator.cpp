#include "middleware/auth/introspection_authenticator.h"

#include <algorithm>

#include <boost/asio/this_coro.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <rapidjson/document.h>

#include "middleware/auth/base64url.h"
#include "middleware/auth/bearer_token.h"
#include "middleware/auth/jwt_token.h"
#include "server/log.h"

namespace gw::middleware::auth {
namespace {

constexpr std::size_t kMaxAnswerBytes = 64 * 1024;

std::string form_encode(std::string_view s) {
    return boost::urls::encode(s, boost::urls::unreserved_chars);
}

AuthResult refuse(std::string_view code, std::string message) {
    return AuthResult::failed(code, std::move(message));
}

AuthResult to_result(const IntrospectionAnswer& a, std::int64_t now) {
    if (!a.active) return refuse("invalid_token", "token is not active");
    if (a.token_exp != 0 && now >= a.token_exp) return refuse("token_expired", "token has expired");
    AuthResult ok;
    ok.status = AuthResult::Status::ok;
    ok.subject = a.subject;
    ok.scopes = a.scopes;
    return ok;
}

std::string member_string(const rapidjson::Value& doc, const char* name) {
    auto it = doc.FindMember(name);
    if (it == doc.MemberEnd() || !it->value.IsString()) return "";
    return {it->value.GetString(), it->value.GetStringLength()};
}

IntrospectionConfig with_flights(IntrospectionConfig c) {
    if (!c.flights) c.flights = std::make_shared<IntrospectionFlights>();
    return c;
}

}  // namespace

std::optional<IntrospectionAnswer> parse_introspection(std::string_view json) {
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size());
    if (doc.HasParseError() || !doc.IsObject()) return std::nullopt;
    auto active = doc.FindMember("active");
    if (active == doc.MemberEnd() || !active->value.IsBool()) return std::nullopt;
    IntrospectionAnswer a;
    a.active = active->value.GetBool();
    if (!a.active) return a;  // RFC 7662 2.2: nothing else in an inactive answer counts
    auto exp = doc.FindMember("exp");
    if (exp != doc.MemberEnd() && exp->value.IsNumber()) {
        a.token_exp = static_cast<std::int64_t>(exp->value.GetDouble());
    }
    a.subject = member_string(doc, "sub");
    a.client_id = member_string(doc, "client_id");
    a.scopes = read_scopes(doc);
    return a;
}

IntrospectionAuthenticator::IntrospectionAuthenticator(IntrospectionConfig config)
    : config_(with_flights(std::move(config))),
      // RFC 6749 2.3.1: id and secret are form-encoded before they are joined.
      authorization_("Basic " + base64_encode(form_encode(config_.client_id) + ":" +
                                              form_encode(config_.client_secret))) {}

Task<AuthResult> IntrospectionAuthenticator::authenticate(const RequestContext&,
                                                          const RequestHead& req) const {
    auto token = bearer_token(req);
    if (!token) co_return AuthResult::absent();
    if (token->empty() || token->size() > kMaxTokenBytes) {
        co_return refuse("invalid_token", "token is empty or too large");
    }
    const auto key = IntrospectionCache::key_of(*token);
    if (auto hit = config_.cache->find(key, config_.clock())) {
        co_return to_result(*hit, config_.clock());
    }
    auto answer = co_await collapsed_ask(key, *token);
    if (!answer) {
        AuthResult r;
        r.status = AuthResult::Status::unavailable;
        r.message = "token introspection is not available";
        co_return r;
    }
    co_return to_result(*answer, config_.clock());
}

// The leader stores the answer before it ends the flight, so that a request arriving between
// the two finds it cached and starts no second call.
Task<IntrospectionAuthenticator::Answer> IntrospectionAuthenticator::collapsed_ask(
    const IntrospectionCache::Key& key, std::string_view token) const {
    if (config_.cache_ttl.count() == 0) co_return co_await ask(token);
    bool leader = false;
    auto flight = config_.flights->join(key, leader);
    if (!leader) {
        // The leader's call is bounded by the timeout: a follower waits that long and a little
        // more, then gives up as the leader would have (unavailable).
        const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
                              config_.timeout) + std::chrono::seconds(1);
        auto result = co_await flight->wait(wait);
        co_return result ? std::move(*result) : std::nullopt;
    }
    IntrospectionFlights::Lease lease(*config_.flights, key, flight, std::nullopt);
    auto answer = co_await ask(token);
    if (answer) remember(key, *answer, config_.clock());
    lease.finish(answer);
    co_return answer;
}

// Cached for the ttl, never past the token's own exp.
void IntrospectionAuthenticator::remember(const IntrospectionCache::Key& key,
                                          const IntrospectionAnswer& answer,
                                          std::int64_t now) const {
    const auto ttl = std::chrono::duration_cast<std::chrono::seconds>(config_.cache_ttl).count();
    std::int64_t until = now + ttl;
    if (answer.active && answer.token_exp != 0) until = std::min(until, answer.token_exp);
    config_.cache->store(key, answer, until, now);
}

Task<IntrospectionAuthenticator::Answer> IntrospectionAuthenticator::ask(
    std::string_view token) const {
    server::FetchRequest req;
    req.method = "POST";
    req.url = config_.url;
    req.headers = {{"content-type", "application/x-www-form-urlencoded"},
                   {"accept", "application/json"},
                   {"authorization", authorization_}};
    req.body = "token=" + form_encode(token) + "&token_type_hint=access_token";
    req.timeout = config_.timeout;
    req.tls = config_.tls;
    req.max_body = kMaxAnswerBytes;
    auto res = co_await await_erased(
        config_.fetch(co_await boost::asio::this_coro::executor, std::move(req)));
    if (res.error) {
        log_failure(res.what.empty() ? res.error.message() : res.what);
        co_return std::nullopt;
    }
    if (res.response.status != 200) {
        log_failure("status " + std::to_string(res.response.status));
        co_return std::nullopt;
    }
    auto answer = parse_introspection(res.response.body);
    if (!answer) log_failure("answer is not a JSON object with a boolean active");
    co_return answer;
}

// At most one line a second per authenticator: an outage must not flood the log.
void IntrospectionAuthenticator::log_failure(std::string_view why) const {
    const std::int64_t now = unix_now();
    std::int64_t last = last_failure_log_.load(std::memory_order_relaxed);
    if (now == last || !last_failure_log_.compare_exchange_strong(last, now)) return;
    log::warn("token introspection failed",
              {{"authenticator", config_.name}, {"url", config_.url}, {"reason", why}});
}

void IntrospectionAuthenticator::strip_credential(RequestHead& req, std::string&) const {
    strip_bearer(req);
}

}  // namespace gw::middleware::auth
