// Head rewriting for the proxy: the request the upstream gets, the response the client gets.
#include <boost/beast/http.hpp>

#include "routes/path.h"
#include "server/proxy_exchange.h"

namespace gw::server::proxy_detail {

void point_at(http::request<http::buffer_body>& req, const RequestContext& ctx,
              const config::Upstream& up, const config::Target& t) {
    std::string target = t.base_path + routes::rewrite_path(*ctx.match.route, ctx.path,
                                                            ctx.match.params);
    if (!ctx.query.empty()) {
        target += '?';
        target += ctx.query;
    }
    append_query_credential(up.credentials, target);
    req.target(target);
    req.set(http::field::host, t.host_header);
}

void prepare_request(http::request<http::buffer_body>& req, const RequestContext& ctx,
                     const config::Upstream& up, const config::Target& t, bool peer_trusted,
                     bool chunked, boost::optional<std::uint64_t> length) {
    const auto& route = ctx.match.route->spec;
    std::string original_host(req[http::field::host]);
    strip_hop_by_hop(req);
    req.erase(http::field::expect);  // the gateway answered 100-continue itself
    set_forwarded_headers(req, ctx.peer_ip, peer_trusted, ctx.tls, original_host);
    req.set("x-request-id", ctx.request_id);
    char trace[kTraceparentSize];
    req.set("traceparent", next_traceparent(req["traceparent"], trace));
    point_at(req, ctx, up, t);
    middleware::apply_header_ops(route.request_headers, req);
    apply_credentials(up.credentials, req);  // last, so no route rule can override it
    req.version(11);
    if (chunked)
        req.chunked(true);
    else if (length)
        req.content_length(*length);
}

bool prepare_response(http::response<http::buffer_body>& res, RequestContext& ctx,
                      const ResponseParser& rp, unsigned version, bool& keep_alive,
                      bool head_request) {
    unsigned status = res.result_int();
    bool no_body = head_request || status == 204 || status == 304 || status < 200;
    auto length = rp.content_length();
    strip_hop_by_hop(res);
    middleware::apply_header_ops(ctx.match.route->spec.response_headers, res);
    // The cache keeps the head as the route shapes it, before any per-request header.
    if (ctx.response_observer && ctx.response_observer->on_head(res)) return false;
    middleware::run_response_steps(ctx, res);
    res.set("x-request-id", ctx.request_id);
    res.version(version);
    if (!no_body) {
        if (length)
            res.content_length(*length);
        else if (version == 11)
            res.chunked(true);
        else
            keep_alive = false;  // HTTP/1.0 and unknown length: the close ends the body
    }
    res.keep_alive(keep_alive);
    return true;
}

}  // namespace gw::server::proxy_detail
