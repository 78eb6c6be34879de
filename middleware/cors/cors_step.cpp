#include "middleware/cors/cors_step.h"

#include <boost/beast/http/field.hpp>

namespace gw::middleware::cors {
namespace http = boost::beast::http;

bool is_preflight(const RequestHead& req) {
    return req.method() == http::verb::options &&
           req.find(http::field::origin) != req.end() &&
           req.find(http::field::access_control_request_method) != req.end();
}

bool route_has_cors(const config::RouteSpec& route) {
    for (const auto& step : route.steps)
        if (step->name() == "cors") return true;
    return false;
}

namespace {
Reply forbidden(std::string message) {
    return Reply::error(403, "cors_forbidden", std::move(message));
}
}  // namespace

Reply CorsStep::preflight(const RequestContext& ctx, const RequestHead& req,
                          std::string_view origin) const {
    if (!policy_.allows_origin(origin))
        return forbidden("origin " + std::string(origin) + " may not call this route");
    auto method = req[http::field::access_control_request_method];
    if (!policy_.allows_method(method))
        return forbidden("method " + std::string(method) + " is not allowed from browsers");
    auto requested = req[http::field::access_control_request_headers];
    if (auto refused = policy_.refused_header(requested); !refused.empty())
        return forbidden("header " + std::string(refused) + " is not allowed from browsers");

    Reply r;
    r.status = 204;
    r.headers.emplace_back("access-control-allow-origin", policy_.allow_origin_value(origin));
    std::string methods = policy_.methods_value;
    if (methods.empty()) {  // the route's own methods; a route for any method: the one asked
        const auto& route_methods = ctx.match.route->spec.match.methods;
        methods = route_methods.empty() ? std::string(method) : join_list(route_methods);
    }
    r.headers.emplace_back("access-control-allow-methods", std::move(methods));
    std::string vary = policy_.varies_by_origin() ? "Origin" : "";
    if (!policy_.headers_value.empty()) {
        r.headers.emplace_back("access-control-allow-headers", policy_.headers_value);
    } else if (!requested.empty()) {  // no list: any header the browser asks for
        r.headers.emplace_back("access-control-allow-headers", std::string(requested));
        vary = with_vary(vary, "Access-Control-Request-Headers");
    }
    if (policy_.credentials) r.headers.emplace_back("access-control-allow-credentials", "true");
    if (!policy_.max_age.empty())
        r.headers.emplace_back("access-control-max-age", policy_.max_age);
    if (!vary.empty()) r.headers.emplace_back("vary", std::move(vary));
    return r;
}

std::optional<Reply> CorsStep::decide(RequestContext& ctx, RequestHead& req) const {
    auto origin = req[http::field::origin];
    if (origin.empty()) return std::nullopt;  // not a cross-origin browser call
    if (is_preflight(req)) return preflight(ctx, req, origin);
    if (!policy_.allows_origin(origin)) return std::nullopt;
    ctx.response_headers.emplace_back("access-control-allow-origin",
                                      policy_.allow_origin_value(origin));
    if (policy_.credentials)
        ctx.response_headers.emplace_back("access-control-allow-credentials", "true");
    if (!policy_.expose_value.empty())
        ctx.response_headers.emplace_back("access-control-expose-headers", policy_.expose_value);
    return std::nullopt;
}

void CorsStep::on_response(RequestContext&, ResponseHead& res) const {
    // On every response of the route, with an Origin or not, so that a shared cache never
    // serves one origin's answer to another.
    if (!policy_.varies_by_origin()) return;
    auto vary = res[http::field::vary];
    auto merged = with_vary(vary, "Origin");
    if (merged != vary) res.set(http::field::vary, merged);
}

}  // namespace gw::middleware::cors
