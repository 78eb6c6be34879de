// Answers the gateway writes itself (its JSON errors), shared by the session and the proxy.
#pragma once

#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/stream_traits.hpp>

#include "server/error_response.h"
#include "server/http_writer.h"
#include "server/request_context.h"

namespace gw::server {

// Writes a complete response under the idle timeout; true when it went out.
template <class Stream>
boost::asio::awaitable<bool> write_message(Stream& stream,
                                           const http::response<http::string_body>& msg,
                                           const config::Limits& limits) {
    boost::beast::get_lowest_layer(stream).expires_after(limits.idle_timeout);
    auto ec = co_await write_response(stream, msg);
    co_return !ec;
}

// Writes the JSON error e and records it in ctx; returns whether the connection may carry on.
template <class Stream>
boost::asio::awaitable<bool> send_error(Stream& stream, RequestContext& ctx, GatewayError e,
                                        unsigned version, bool keep_alive,
                                        std::string_view allow = {}) {
    auto res = make_error(e, ctx.request_id, version, keep_alive);
    if (!allow.empty()) res.set(http::field::allow, allow);
    ctx.status = res.result_int();
    ctx.bytes_out = res.body().size();
    bool ok = co_await write_message(stream, res, ctx.config->server.limits);
    co_return ok && keep_alive;
}

}  // namespace gw::server
