// Head rewriting for the proxy: the request the upstream gets, the response the client gets.
#include <boost/beast/http.hpp>

#include "routes/path.h"
#include "server/proxy_exchange.h"

namespace gw::server::proxy_detail {

std::string upstream_target(const RequestContext& ctx, const config::Upstream& up,
                            const config::Target& t) {
    std::string target = t.base_path + routes::rewrite_path(*ctx.match.route, ctx.path,
                                                            ctx.match.params);
    if (!ctx.query.empty()) {
        target += '?';
        target += ctx.query;
    }
    append_query_credential(up.credentials, target);
    return target;
}

void point_at(UpstreamHead& head, const RequestContext& ctx, const config::Upstream& up,
              const config::Target& t) {
    head.point_at(upstream_target(ctx, up, t), t.host_header);
}

bool relayed_as_is(const RequestContext& ctx) {
    const auto& spec = ctx.match.route->spec;
    if (!spec.response_headers.empty() || !ctx.response_headers.empty() ||
        ctx.response_observer ||
        spec.upstream->credentials.type == config::Credentials::Type::query)
        return false;
    for (const auto& step : spec.steps)
        if (step->shapes_response()) return false;
    return true;
}

void to_fields(const ResponseReader& r, http::response_header<>& res) {
    res.result(r.status());
    res.reason(r.reason());
    res.version(r.version());
    for (const auto& f : r.fields()) res.insert(f.name, f.value);
}

void frame_response(const ResponseReader& r, const RequestContext& ctx, unsigned version,
                    bool& keep_alive, bool head_request, HeadOverrides& head) {
    // Framing, Connection and the request id are written with the head (HeadOverrides).
    head.request_id = ctx.request_id;
    auto length = r.content_length();
    if (head_request || config::bodiless_status(r.status())) {
        head.framing = Framing::none;
    } else if (length) {
        head.framing = Framing::length;
        head.length = *length;
    } else if (version == 11) {
        head.framing = Framing::chunked;
    } else {
        head.framing = Framing::until_close;
        keep_alive = false;  // HTTP/1.0 and unknown length: the close ends the body
    }
    head.keep_alive = keep_alive;
}

bool prepare_response(http::response_header<>& res, RequestContext& ctx,
                      const ResponseReader& r, unsigned version, bool& keep_alive,
                      bool head_request, HeadOverrides& head) {
    strip_hop_by_hop(res);
    middleware::apply_header_ops(ctx.match.route->spec.response_headers, res);
    // The cache keeps the head as the route shapes it, before any per-request header.
    if (ctx.response_observer && ctx.response_observer->on_head(res)) return false;
    middleware::run_response_steps(ctx, res);
    res.version(version);
    frame_response(r, ctx, version, keep_alive, head_request, head);
    return true;
}

}  // namespace gw::server::proxy_detail
