// The route's `auth:` step: asks the route's authenticators in order (see authenticator.h for
// what each answer means), fills ctx.identity, tells the upstream who called and keeps the
// caller's own credential from it.
//
// Outcomes: the first `ok` wins. Otherwise 503 auth_unavailable when some authenticator could
// not decide (a retry may succeed, so that beats a refusal), else the first refusal's code
// (401), else 401 missing_credentials. Every 401 carries WWW-Authenticate with each
// authenticator's challenge.
//
// Immutable after load; shared by every worker thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "middleware/auth/authenticator.h"
#include "middleware/auth/consumers.h"
#include "middleware/auth/failure_counters.h"

namespace gw::middleware::auth {

// Headers that tell the upstream who called. Only the auth step sets them; whatever a client
// sent under these names is removed from every request (the session calls
// remove_identity_headers before the steps run), so they cannot be forged.
inline constexpr std::string_view kConsumerHeader = "x-consumer-name";
inline constexpr std::string_view kSubjectHeader = "x-auth-subject";
void remove_identity_headers(RequestHead& req);

struct AuthStepConfig {
    std::vector<AuthenticatorPtr> authenticators;  // at least one, in the route's order
    std::shared_ptr<const ConsumerTable> consumers;
    bool forward_credentials = false;  // let the caller's API key / Authorization through
    std::shared_ptr<RouteFailures> failures;
};

class AuthStep : public Step {
public:
    explicit AuthStep(AuthStepConfig config);
    std::string_view name() const override { return "auth"; }
    Task<std::optional<Reply>> on_request(RequestContext& ctx, RequestHead& req) const override;

private:
    void accept(RequestContext& ctx, RequestHead& req, const Authenticator& by,
                AuthResult& result) const;
    Reply refuse(AuthResult* failed, bool unavailable) const;

    AuthStepConfig config_;
    std::string challenge_;  // all challenges, comma-separated (RFC 9110 11.6.1)
};

}  // namespace gw::middleware::auth
