// The route's `cors:` step (after ip, before auth: a browser's preflight carries no
// credentials). A preflight (OPTIONS with Origin and Access-Control-Request-Method) is answered
// here, 204 with the Access-Control-Allow-* headers, or 403 `cors_forbidden` naming what was
// not allowed; it never reaches auth or the upstream. An actual request from an allowed origin
// goes on and its response gets Access-Control-Allow-Origin (and -Credentials, -Expose-Headers);
// one from another origin goes on without them, so the browser keeps the answer from the page.
// The session routes a preflight for a method the route does not list for OPTIONS here too
// (see is_preflight). Immutable after load; shared by every worker.
#pragma once

#include "config/types.h"
#include "middleware/cors/cors_policy.h"
#include "middleware/step.h"

namespace gw::middleware::cors {

// OPTIONS with Origin and Access-Control-Request-Method.
bool is_preflight(const RequestHead& req);
// Whether the route has a cors step (the session asks for preflights only).
bool route_has_cors(const config::RouteSpec& route);

class CorsStep : public SyncStep {
public:
    explicit CorsStep(CorsPolicy policy) : policy_(std::move(policy)) {}
    std::string_view name() const override { return "cors"; }
    std::optional<Reply> decide(RequestContext& ctx, RequestHead& req) const override;
    void on_response(RequestContext& ctx, ResponseHead& res) const override;
    bool shapes_response() const override { return true; }

    const CorsPolicy& policy() const { return policy_; }

private:
    Reply preflight(const RequestContext& ctx, const RequestHead& req,
                    std::string_view origin) const;

    CorsPolicy policy_;
};

}  // namespace gw::middleware::cors
