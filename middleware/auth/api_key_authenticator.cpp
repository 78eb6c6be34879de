#include "middleware/auth/api_key_authenticator.h"

#include "middleware/auth/query_param.h"
#include "routes/percent.h"

namespace gw::middleware::auth {
namespace {

AuthResult refused(std::string message) {
    return AuthResult::failed("invalid_credentials", std::move(message));
}

}  // namespace

ApiKeyAuthenticator::ApiKeyAuthenticator(std::string name, Source source, std::string field,
                                         std::shared_ptr<const ConsumerTable> consumers)
    : name_(std::move(name)),
      source_(source),
      field_(std::move(field)),
      // No registered scheme exists for API keys; this names where the key goes.
      challenge_("ApiKey realm=\"gateway\", " +
                 std::string(source == Source::header ? "header" : "query") + "=\"" + field_ +
                 "\""),
      consumers_(std::move(consumers)) {}

AuthResult ApiKeyAuthenticator::check(std::string_view query, const RequestHead& req) const {
    std::string decoded;
    std::string_view key;
    if (source_ == Source::header) {
        auto range = req.equal_range(field_);
        if (range.first == range.second) return AuthResult::absent();
        // Two keys are ambiguous: which one would the upstream or a log believe?
        if (std::next(range.first) != range.second) return refused("more than one API key");
        key = range.first->value();
    } else {
        QueryParam p = find_query_param(query, field_);
        if (p.count == 0) return AuthResult::absent();
        if (p.count > 1) return refused("more than one API key");
        if (p.raw.size() > 3 * kMaxKeyBytes) return refused("invalid API key");
        decoded = routes::percent_decode(p.raw);
        key = decoded;
    }
    if (key.empty() || key.size() > kMaxKeyBytes) return refused("invalid API key");
    const Consumer* consumer = consumers_->by_key(key);
    if (consumer == nullptr) return refused("invalid API key");
    AuthResult ok;
    ok.status = AuthResult::Status::ok;
    ok.consumer = consumer->name;
    return ok;
}

Task<AuthResult> ApiKeyAuthenticator::authenticate(const RequestContext& ctx,
                                                   const RequestHead& req) const {
    co_return check(ctx.query, req);
}

void ApiKeyAuthenticator::strip_credential(RequestHead& req, std::string& query) const {
    if (source_ == Source::header) {
        req.erase(field_);
    } else if (find_query_param(query, field_).count > 0) {
        remove_query_param(query, field_);
    }
}

}  // namespace gw::middleware::auth
