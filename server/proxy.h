// The proxy step: sends a routed request to its upstream and streams the answer back.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>

#include "server/executor.h"
#include "server/request_context.h"

namespace gw::server {

class Worker;

// Forwards the request whose head `parser` holds (its body still unread) and writes the
// upstream's answer, or a 502/504 error, to `down`. Returns whether the downstream connection
// may carry on with another request.
template <class Stream>
Task<bool> proxy_request(
    Stream& down, boost::beast::flat_buffer& down_buffer,
    boost::beast::http::request_parser<boost::beast::http::buffer_body>& parser,
    RequestContext& ctx, Worker& worker, bool peer_trusted, bool keep_alive);

}  // namespace gw::server
