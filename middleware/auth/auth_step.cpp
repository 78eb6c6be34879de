#include "middleware/auth/auth_step.h"

namespace gw::middleware::auth {
namespace {

// A value from a token (a JWT `sub`) may hold anything; one with control characters would
// split the upstream request's head, so it is not passed on.
bool safe_header_value(std::string_view v) {
    for (char c : v) {
        auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
    }
    return !v.empty();
}

}  // namespace

void remove_identity_headers(RequestHead& req) {
    req.erase(kConsumerHeader);
    req.erase(kSubjectHeader);
}

AuthStep::AuthStep(AuthStepConfig config) : config_(std::move(config)) {
    for (const auto& a : config_.authenticators) {
        if (!challenge_.empty()) challenge_ += ", ";
        challenge_ += a->challenge();
    }
}

Task<std::optional<Reply>> AuthStep::on_request(RequestContext& ctx, RequestHead& req) const {
    std::optional<AuthResult> failed;
    bool unavailable = false;
    for (const auto& a : config_.authenticators) {
        AuthResult r = co_await a->authenticate(ctx, req);
        switch (r.status) {
        case AuthResult::Status::ok:
            accept(ctx, req, *a, r);
            co_return std::nullopt;
        case AuthResult::Status::failed:
            if (!failed) failed = std::move(r);
            break;
        case AuthResult::Status::unavailable:
            unavailable = true;
            break;
        case AuthResult::Status::absent:
            break;
        }
    }
    Reply reply = refuse(failed ? &*failed : nullptr, unavailable);
    if (config_.failures) config_.failures->add(reply.code);
    co_return reply;
}

void AuthStep::accept(RequestContext& ctx, RequestHead& req, const Authenticator& by,
                      AuthResult& r) const {
    Identity& id = ctx.identity;
    id.authenticated = true;
    id.authenticator = by.name();
    id.subject = std::move(r.subject);
    id.scopes = std::move(r.scopes);
    // A JWT names its subject; the consumer whose jwt_subject it is, if any, is the caller.
    const Consumer* consumer = !r.consumer.empty() ? config_.consumers->by_name(r.consumer)
                                                   : config_.consumers->by_subject(id.subject);
    id.consumer = consumer ? consumer->name : std::move(r.consumer);
    if (consumer) id.groups = consumer->groups;
    if (!config_.forward_credentials) {
        for (const auto& a : config_.authenticators) a->strip_credential(req, ctx.query);
    }
    if (safe_header_value(id.consumer)) req.set(kConsumerHeader, id.consumer);
    if (safe_header_value(id.subject)) req.set(kSubjectHeader, id.subject);
}

Reply AuthStep::refuse(AuthResult* failed, bool unavailable) const {
    if (unavailable)
        return Reply::error(503, "auth_unavailable",
                            "the credentials cannot be checked right now; try again later");
    Reply reply = failed ? Reply::error(401, std::string(failed->code), std::move(failed->message))
                         : Reply::error(401, "missing_credentials",
                                        "this route needs credentials");
    if (reply.code.empty()) reply.code = "invalid_credentials";
    if (reply.message.empty()) reply.message = "the credentials were refused";
    reply.headers.emplace_back("www-authenticate", challenge_);
    return reply;
}

}  // namespace gw::middleware::auth
