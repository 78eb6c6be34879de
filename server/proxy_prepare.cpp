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

std::optional<Exchange> take_response_head(UpstreamConnection& conn, bool head_request) {
    auto& r = conn.response;
    auto& buffer = conn.buffer;
    for (;;) {
        boost::system::error_code ec;
        std::size_t used =
            r.put_head(static_cast<const char*>(buffer.data().data()), buffer.size(), ec);
        // Any failure before a valid head counts as a stale connection: besides a close, a
        // pooled connection may carry stray bytes of an earlier answer (a body sent to HEAD).
        if (ec) return Exchange{Stage::send_failed, false, false, true, ec};
        if (used == 0) return std::nullopt;
        buffer.consume(used);
        unsigned status = r.status();
        // Upgrade is stripped on the way up, so a 101 is an upstream fault.
        if (status == 101) return Exchange{Stage::upstream_error};
        if (status < 100 || status >= 200) return Exchange{Stage::done};
        r.start(head_request, kUpstreamHeaderLimit);  // an interim answer: the next head follows
    }
}

Exchange answer_head(UpstreamConnection& conn, RequestContext& ctx, const RequestParser& parser,
                     unsigned version, bool keep_alive, bool early, const KeptBody& kept,
                     RetryGate& gate, const SentToken& token, Framing& framing) {
    const ResponseReader& rp = conn.response;
    const bool head_request = parser.get().method() == http::verb::head;
    ctx.status = rp.status();
    if (token.source && ctx.status == 401) {
        token.source->reject(token.id);
        if (token.retry && !early && kept.replayable(parser)) return Exchange{Stage::token_rejected};
    }
    // An answer whose status is retried is dropped before anything goes downstream.
    if (!early && kept.replayable(parser) &&
        gate.allow(Failure::status, ctx.status, rp.value(ResponseReader::Name::retry_after),
                   steady_nanos()))
        return Exchange{Stage::retry_status};
    // The client may still be sending a body the upstream did not wait for: the connection
    // is then out of sync and must close after this answer.
    Exchange ex{Stage::done, false, keep_alive && parser.is_done() && !early};
    HeadOverrides overrides;
    conn.heads.clear();
    if (relayed_as_is(ctx)) {
        frame_response(rp, ctx, version, ex.down_keep_alive, head_request, overrides);
        append_response_head(conn.heads, rp, version, overrides);
    } else {
        http::response_header<> res;
        to_fields(rp, res);
        strip_query_credential(res, ctx.match.route->spec.upstream->credentials);
        if (!prepare_response(res, ctx, rp, version, ex.down_keep_alive, head_request,
                              overrides)) {
            // A body the observer does not want is dropped with the connection.
            ex.stage = Stage::replaced;
            ex.upstream_reusable = !early && rp.keep_alive() && rp.is_done() &&
                                   conn.buffer.size() == 0;
            return ex;
        }
        append_response_head(conn.heads, res, overrides);
    }
    framing = overrides.framing;
    return ex;
}

}  // namespace gw::server::proxy_detail
