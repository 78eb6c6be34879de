// How a caller proves who it is: one Authenticator per entry of the top-level
// `authenticators:` section (api_key, basic, jwt, oauth2_introspection). Built once at load,
// immutable, shared by every worker thread; per-thread or shared caches live in types built
// for that (see middleware/registry.h).
//
// The route's auth step (middleware/auth/auth_step.h) asks each of the route's authenticators
// in turn: the first `ok` wins; when every one says `absent`, the caller gets 401
// missing_credentials; when one says `failed`, its code is the answer (unless a later one
// succeeds).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "middleware/request_context.h"
#include "middleware/step.h"
#include "server/executor.h"

namespace gw::middleware::auth {

struct AuthResult {
    enum class Status {
        absent,       // this authenticator's credential is not in the request
        ok,           // verified
        failed,       // presented but refused: code says why
        unavailable,  // cannot decide now (JWKS never fetched, introspection down): 503
    };
    Status status = Status::absent;
    std::string_view code;    // failed: "invalid_credentials", "invalid_token", "token_expired"
    std::string message;      // for the caller; never the credential itself
    std::string consumer;     // ok: the consumer the credential belongs to, when it names one
    std::string subject;      // ok: JWT/introspection `sub`
    std::vector<std::string> scopes;  // ok: JWT `scope`/`scp`, introspection `scope`

    static AuthResult absent() { return {}; }
    static AuthResult failed(std::string_view code, std::string message) {
        AuthResult r;
        r.status = Status::failed;
        r.code = code;
        r.message = std::move(message);
        return r;
    }
};

class Authenticator {
public:
    virtual ~Authenticator() = default;
    // The name under `authenticators:`, for metrics and logs.
    virtual std::string_view name() const = 0;
    // The WWW-Authenticate challenge for a 401, e.g. `Bearer realm="gateway"`.
    virtual std::string_view challenge() const = 0;
    // Looks at the request, never changes it. May co_await (JWKS, introspection).
    virtual Task<AuthResult> authenticate(const RequestContext& ctx,
                                          const RequestHead& req) const = 0;
    // Removes this authenticator's credential (header, query parameter) from what goes
    // upstream, unless the route forwards credentials. `query` is ctx.query.
    virtual void strip_credential(RequestHead& req, std::string& query) const = 0;
};

using AuthenticatorPtr = std::shared_ptr<const Authenticator>;

}  // namespace gw::middleware::auth
