// Answers the gateway writes itself (its JSON errors, the steps' replies), shared by the
// session and the proxy.
#pragma once

#include <array>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/stream_traits.hpp>

#include "middleware/chain.h"
#include "middleware/step.h"
#include "server/error_response.h"
#include "server/http_writer.h"
#include "server/request_context.h"
#include "server/stream_ops.h"

namespace gw::server {

// Writes a complete response under the idle timeout; true when it went out.
template <class Stream>
Task<bool> write_message(Stream& stream, const http::response<http::string_body>& msg,
                         const config::Limits& limits) {
    boost::beast::get_lowest_layer(stream).expires_after(limits.idle_timeout);
    auto ec = co_await write_response(stream, msg);
    co_return !ec;
}

// Writes the JSON error e and records it in ctx; returns whether the connection may carry on.
template <class Stream>
Task<bool> send_error(Stream& stream, RequestContext& ctx, GatewayError e, unsigned version,
                      bool keep_alive, std::string_view allow = {}) {
    auto res = make_error(e, ctx.request_id, version, keep_alive);
    if (!allow.empty()) res.set(http::field::allow, allow);
    middleware::run_response_steps(ctx, res);
    ctx.status = res.result_int();
    ctx.bytes_out = res.body().size();
    bool ok = co_await write_message(stream, res, ctx.config->server.limits);
    co_return ok && keep_alive;
}

// Writes a step's own answer (401, 403, 429, a cache hit); returns whether the connection may
// carry on.
template <class Stream>
Task<bool> send_reply(Stream& stream, RequestContext& ctx, const middleware::Reply& reply,
                      unsigned version, bool keep_alive, bool head_request) {
    const auto status = static_cast<http::status>(reply.status);
    http::response<http::string_body> res;
    if (!reply.code.empty()) {
        res = make_error(status, reply.code, reply.message, ctx.request_id, version, keep_alive);
    } else {
        res = http::response<http::string_body>{status, version};
    }
    if (reply.shared_headers)
        for (const auto& [name, value] : *reply.shared_headers) res.insert(name, value);
    for (const auto& [name, value] : reply.headers) res.set(name, value);
    middleware::run_response_steps(ctx, res);
    std::string_view body = reply.code.empty()
                                ? (reply.shared_body ? std::string_view(*reply.shared_body)
                                                     : std::string_view(reply.body))
                                : std::string_view(res.body());
    // Framing, Connection and the request id are written with the head, over any stored
    // copies of them (a cached head).
    const HeadOverrides overrides = own_answer(ctx.request_id, keep_alive, reply.status,
                                               body.size());
    if (head_request || config::bodiless_status(reply.status)) body = {};
    std::string head;
    head.reserve(256);
    append_response_head(head, res, overrides);
    std::array<boost::asio::const_buffer, 2> buffers{boost::asio::buffer(head),
                                                     boost::asio::buffer(body)};
    ctx.status = reply.status;
    ctx.bytes_out = body.size();
    boost::system::error_code ec;
    std::size_t n = write_now(stream, buffers, ec);
    if (!ec && n < boost::asio::buffer_size(buffers))
        ec = co_await write_rest(stream, buffers, n, ctx.config->server.limits.idle_timeout);
    co_return !ec && keep_alive;
}

}  // namespace gw::server
