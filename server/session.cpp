#include "server/session.h"

#include <boost/asio/write.hpp>
#include <boost/beast/http.hpp>

#include "config/text.h"
#include "middleware/auth/auth_step.h"
#include "middleware/chain.h"
#include "middleware/cors/cors_step.h"
#include "middleware/header_ops.h"
#include "routes/path.h"
#include "server/buffered_parse.h"
#include "server/error_response.h"
#include "server/forwarding.h"
#include "server/local_answer.h"
#include "server/log.h"
#include "server/proxy.h"
#include "server/request_context.h"
#include "server/stream_ops.h"
#include "server/worker.h"

namespace gw::server {
namespace {

using RequestParser = http::request_parser<http::buffer_body>;

enum class HeadResult { ok, closed, timeout, too_large_head, too_large_body, bad };

// What a failed (or not) read of the request head means for the session.
HeadResult head_result(const boost::system::error_code& ec) {
    if (!ec) return HeadResult::ok;
    if (ec == beast::error::timeout) return HeadResult::timeout;
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow)
        return HeadResult::too_large_head;
    if (ec == http::error::body_limit) return HeadResult::too_large_body;
    if (ec == http::error::end_of_stream || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == asio::error::operation_aborted)
        return HeadResult::closed;
    return HeadResult::bad;
}

// What the session reads from the request head, found in one pass over its few fields:
// each lookup by name walks a case-insensitive tree.
struct HeadFacts {
    explicit HeadFacts(const RequestParser::value_type& req) {
        for (const auto& f : req) {
            switch (f.name()) {
                case http::field::host:
                    if (hosts++ == 0) host = f.value();
                    break;
                case http::field::transfer_encoding:
                    if (transfer_encodings++ == 0) transfer_encoding = f.value();
                    break;
                case http::field::unknown: {
                    auto name = f.name_string();
                    if (config::iequals(name, "x-request-id")) {
                        if (!has_request_id) request_id = f.value();
                        has_request_id = true;
                    } else if (config::iequals(name, middleware::auth::kConsumerHeader) ||
                               config::iequals(name, middleware::auth::kSubjectHeader)) {
                        identity = true;
                    }
                    break;
                }
                default: break;
            }
        }
    }
    std::size_t hosts = 0;
    std::size_t transfer_encodings = 0;
    std::string_view host;
    std::string_view transfer_encoding;
    std::string_view request_id;
    bool has_request_id = false;
    bool identity = false;  // a header only the auth step may set
};

// Checks the head beyond what the parser enforces: one Host (required on HTTP/1.1), a
// Transfer-Encoding that is exactly chunked, a known version.
bool head_is_acceptable(const RequestParser& parser, const HeadFacts& facts) {
    const auto& req = parser.get();
    if (req.version() != 10 && req.version() != 11) return false;
    if (facts.hosts > 1 || (facts.hosts == 0 && req.version() == 11)) return false;
    // Only a plain "chunked" is accepted: other codings would be forwarded mislabelled, and
    // odd spellings are a classic smuggling vector.
    if (facts.transfer_encodings > 1) return false;
    if (facts.transfer_encodings == 1 && !config::iequals(facts.transfer_encoding, "chunked"))
        return false;
    return true;
}

void finish_request(Worker& worker, RequestContext& ctx, std::string_view method) {
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - ctx.start).count();
    worker.metrics().record_request(ctx.match.route ? std::string_view(ctx.match.route->spec.name)
                                                    : std::string_view(),
                                    method, ctx.status, secs);
    if (ctx.upstream_seconds >= 0 && ctx.match.route && ctx.match.route->spec.upstream)
        worker.metrics().record_upstream(ctx.match.route->spec.upstream->name, ctx.upstream_seconds);
    worker.shared().access_log->write(ctx, method, worker.log_line());
}

// Lends a string's storage to a request's field for the request's length (swapped in, then
// back), so that its capacity carries over from one request of the connection to the next.
class Lent {
public:
    Lent(std::string& owner, std::string& field) : owner_(owner), field_(field) {
        field_.swap(owner_);
        field_.clear();  // the storage only, not the last request's value
    }
    ~Lent() { owner_.swap(field_); }
    Lent(const Lent&) = delete;
    Lent& operator=(const Lent&) = delete;

private:
    std::string& owner_;
    std::string& field_;
};

// How a request was answered: at once (`now`: whether the connection may carry on), or by a
// coroutine still to be awaited (`later`, when valid). A request answered without waiting
// (a respond: route, the proxy's frame handed back) costs the session no coroutine frame.
struct Handled {
    Task<bool> later;
    bool now = false;
};

// The rest of a write the socket did not take at once, with the head it owns.
template <class Stream>
Task<bool> write_owned(Stream& stream, std::string head, std::string_view body,
                       std::size_t written, config::Duration timeout, bool keep_alive) {
    std::array<asio::const_buffer, 2> buffers{asio::buffer(head), asio::buffer(body)};
    auto ec = co_await write_rest(stream, buffers, written, timeout);
    co_return !ec && keep_alive;
}

// The route's fixed answer. The body goes out from the config as it is, in one gather write
// with the head; framing, Connection and the request id are written with the head.
template <class Stream>
Handled respond_locally(Stream& stream, RequestContext& ctx, const RequestParser& parser,
                        bool keep_alive, std::string& head) {
    const auto& spec = ctx.match.route->spec;
    const config::Respond& r = *spec.respond;
    const unsigned version = parser.get().version();
    head.clear();
    if (spec.steps.empty() && ctx.response_headers.empty()) {
        // Nothing adds a header: the lines rendered at load go as they are.
        append_fixed_response_head(head, version, r.status, r.lines, ctx.request_id,
                                   keep_alive);
    } else {
        http::response<http::empty_body> res{static_cast<http::status>(r.status), version};
        for (const auto& [name, value] : r.headers) res.set(name, value);
        middleware::apply_header_ops(spec.response_headers, res);
        middleware::run_response_steps(ctx, res);
        append_response_head(head, res,
                             own_answer(ctx.request_id, keep_alive, r.status, r.body.size()));
    }
    std::string_view body = r.body;  // the config (held by ctx) outlives the write
    if (parser.get().method() == http::verb::head || config::bodiless_status(r.status))
        body = {};
    std::array<asio::const_buffer, 2> buffers{asio::buffer(head), asio::buffer(body)};
    ctx.status = r.status;
    ctx.bytes_out = body.size();
    boost::system::error_code ec;
    std::size_t n = write_now(stream, buffers, ec);
    if (!ec && n < asio::buffer_size(buffers))
        return {write_owned(stream, std::move(head), body, n,
                            ctx.config->server.limits.idle_timeout, keep_alive)};
    return {{}, !ec && keep_alive};
}

// A browser's CORS preflight (OPTIONS) belongs to the route that serves the method it asks
// about, when that route has a cors: section, whose step answers it: whether or not that route
// lists OPTIONS, and even when a broader route (a catch-all for any method) would take the
// OPTIONS itself. Otherwise the OPTIONS is routed as it is (405 where no route takes it).
void route_preflight(RequestContext& ctx, const RequestParser::value_type& req) {
    routes::RequestView view{req[http::field::access_control_request_method], ctx.host, ctx.path,
                             &req};
    auto match = ctx.config->routes.match(view);
    if (match.status == routes::MatchStatus::found &&
        middleware::cors::route_has_cors(match.route->spec))
        ctx.match = std::move(match);
}

// What the answer to an admitted request depends on, besides the route.
struct Admitted {
    unsigned version;
    bool keep_alive;
    bool body_pending;
    bool peer_trusted;
};

// A step's answer, owned by the coroutine that writes it.
template <class Stream>
Task<bool> send_owned_reply(Stream& stream, RequestContext& ctx, middleware::Reply reply,
                            unsigned version, bool keep_alive, bool head_request) {
    co_return co_await send_reply(stream, ctx, reply, version, keep_alive, head_request);
}

// The answer once the route's request steps have run: the reply of the step that answered,
// the route's fixed answer, or the proxy (its frame handed back, not awaited here).
template <class Stream>
Handled answer_admitted(Stream& stream, beast::flat_buffer& buffer, RequestParser& parser,
                        RequestContext& ctx, Worker& worker,
                        std::optional<middleware::Reply>& reply, const Admitted& a) {
    const bool reuse = a.keep_alive && !a.body_pending;
    if (reply)
        return {send_owned_reply(stream, ctx, std::move(*reply), a.version, reuse,
                                 parser.get().method() == http::verb::head)};
    if (ctx.match.route->spec.respond)
        return respond_locally(stream, ctx, parser, reuse, worker.answer_head());
    return {proxy_request(stream, buffer, parser, ctx, worker, a.peer_trusted, a.keep_alive)};
}

// Request steps that wait (a Redis limit, a token introspection), then the answer.
template <class Stream>
Task<bool> after_steps(Stream& stream, beast::flat_buffer& buffer, RequestParser& parser,
                       RequestContext& ctx, Worker& worker, std::size_t next, Admitted a) {
    auto reply = co_await middleware::run_request_steps(ctx, parser.get(), next);
    Handled h = answer_admitted(stream, buffer, parser, ctx, worker, reply, a);
    // (Not a conditional expression: g++ 12 miscompiles a co_await inside one.)
    if (h.later.valid()) h.now = co_await std::move(h.later);
    co_return h.now;
}

// Answers one request whose head has been read, without a coroutine frame of its own: what
// waits is handed back (Handled::later) for the session to await. Everything it hands on
// lives in the session's frame.
template <class Stream>
Handled handle_request(Stream& stream, beast::flat_buffer& buffer, RequestParser& parser,
                       RequestContext& ctx, Worker& worker, const asio::ip::address& peer) {
    auto& req = parser.get();
    const auto& cfg = *ctx.config;
    const HeadFacts facts(req);
    bool peer_trusted = is_trusted(peer, cfg.server.trusted_proxies);
    ctx.peer_trusted = peer_trusted;
    assign_request_id(ctx.request_id, facts.request_id);
    if (peer_trusted) {
        ctx.client_ip = client_ip(peer, true, joined_values(req, "x-forwarded-for"),
                                  cfg.server.trusted_proxies);
        boost::system::error_code ec;
        ctx.client_addr = asio::ip::make_address(ctx.client_ip, ec);
        if (ec) ctx.client_addr = peer;
    } else {
        ctx.client_ip = ctx.peer_ip;
        ctx.client_addr = peer;
    }
    // A request whose body we will not read cannot leave the connection in sync.
    bool keep_alive = req.keep_alive() && !worker.draining();
    bool body_pending = !parser.is_done();
    unsigned version = req.version() == 10 ? 10 : 11;

    if (!head_is_acceptable(parser, facts))
        return {send_error(stream, ctx, GatewayError::bad_request, version, false)};
    auto target = routes::normalize_target(req.target());
    if (!target) return {send_error(stream, ctx, GatewayError::bad_request, version, false)};
    ctx.path = std::move(target->path);
    ctx.query = std::move(target->query);
    ctx.host = host_without_port(facts.host);

    routes::RequestView view{req.method_string(), ctx.host, ctx.path, &req};
    ctx.match = cfg.routes.match(view);
    if (middleware::cors::is_preflight(req)) route_preflight(ctx, req);
    if (ctx.match.status == routes::MatchStatus::not_found)
        return {send_error(stream, ctx, GatewayError::not_found, version,
                           keep_alive && !body_pending)};
    if (ctx.match.status == routes::MatchStatus::method_not_allowed)
        return {send_error(stream, ctx, GatewayError::method_not_allowed, version,
                           keep_alive && !body_pending, ctx.match.allow)};
    // TRACE would echo the upstream credentials back to the caller: only routes that list it
    // explicitly take it.
    if (req.method() == http::verb::trace && ctx.match.route->spec.match.methods.empty())
        return {send_error(stream, ctx, GatewayError::method_not_allowed, version,
                           keep_alive && !body_pending,
                           "GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS")};
    // Identity headers come only from the auth step, on every route: a client cannot forge them.
    if (facts.identity) middleware::auth::remove_identity_headers(req);
    const Admitted admitted{version, keep_alive, body_pending, peer_trusted};
    std::optional<middleware::Reply> reply;
    if (!ctx.match.route->spec.steps.empty()) {
        auto steps = middleware::try_request_steps(ctx, req);  // no coroutine frame
        if (!steps.done)
            return {after_steps(stream, buffer, parser, ctx, worker, steps.next, admitted)};
        reply = std::move(steps.reply);
    }
    return answer_admitted(stream, buffer, parser, ctx, worker, reply, admitted);
}
}  // namespace

ConnectionSlot::ConnectionSlot(Worker& w) : worker_(&w) {
    w.metrics().active_connections.fetch_add(1, std::memory_order_relaxed);
}

ConnectionSlot::~ConnectionSlot() {
    if (!worker_) return;
    worker_->metrics().active_connections.fetch_sub(1, std::memory_order_relaxed);
    worker_->shared().connections.fetch_sub(1, std::memory_order_relaxed);
}

template <class Stream>
Task<void> run_session(Stream stream, Worker& worker, asio::ip::address peer, ConnectionSlot) {
    beast::flat_buffer buffer;
    const std::string peer_ip = peer.to_string();
    bool first = true;
    bool linger = false;
    std::string spare_id;  // the request id's storage, lent to each request in turn
    for (;;) {
        RequestContext ctx;
        const Lent lent_id(spare_id, ctx.request_id);
        ctx.config = worker.config();
        ctx.peer_ip = peer_ip;
        ctx.tls = std::is_same_v<Stream, TlsStream>;
        const auto& limits = ctx.config->server.limits;
        RequestParser parser;
        parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
        parser.body_limit(limits.max_body_bytes);
        // The head is read here, in the session's frame, not in a coroutine of its own.
        if (buffer.size() == 0) {
            // A drain closes idle connections once; one that turns idle later closes itself
            // here.
            if (worker.draining()) break;
            // Wait for the first byte under the idle (or, on a new connection, header)
            // timeout; while waiting the connection counts as idle, so a drain may close it.
            beast::get_lowest_layer(stream).expires_after(first ? limits.header_timeout
                                                                : limits.idle_timeout);
            Worker::IdleEntry idle(&socket_of(stream));
            worker.idle_add(idle);
            auto [ec, n] = co_await stream.async_read_some(buffer.prepare(2048), kTuple);
            worker.idle_remove(idle);
            if (ec) break;
            buffer.commit(n);
        }
        first = false;
        // Usually the whole head came with the first read: parse it here, without Beast's
        // composed read (and its posted completion).
        boost::system::error_code head_ec;
        if (!parse_buffered(buffer, parser, head_ec)) {
            beast::get_lowest_layer(stream).expires_after(limits.header_timeout);
            auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, kTuple);
            head_ec = ec;
        }
        const HeadResult head = head_result(head_ec);
        ctx.start = std::chrono::steady_clock::now();
        if (head == HeadResult::closed || head == HeadResult::timeout) break;
        if (head != HeadResult::ok) {
            assign_request_id(ctx.request_id, {});
            ctx.client_ip = ctx.peer_ip;
            GatewayError e = head == HeadResult::too_large_head ? GatewayError::header_too_large
                             : head == HeadResult::too_large_body ? GatewayError::payload_too_large
                                                                  : GatewayError::bad_request;
            co_await send_error(stream, ctx, e, 11, false);
            finish_request(worker, ctx, "");
            linger = true;  // unread input follows: let the client read the answer first
            break;
        }
        Handled handled = handle_request(stream, buffer, parser, ctx, worker, peer);
        if (handled.later.valid()) handled.now = co_await std::move(handled.later);
        const bool again = handled.now;
        finish_request(worker, ctx, parser.get().method_string());
        // A body upload grew the buffer; an idle connection should not keep that memory.
        if (buffer.size() == 0 && buffer.capacity() > 4096) buffer.shrink_to_fit();
        if (!again) {
            linger = !parser.is_done();
            break;
        }
    }
    co_await graceful_close(stream, linger);
}

template Task<void> run_session<PlainStream>(PlainStream, Worker&, asio::ip::address,
                                             ConnectionSlot);
template Task<void> run_session<TlsStream>(TlsStream, Worker&, asio::ip::address, ConnectionSlot);

}  // namespace gw::server
