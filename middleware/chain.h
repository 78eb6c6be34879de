// Runs a route's steps (RouteSpec::steps) for one request: in order on the way in, where the
// first step that answers ends the chain, and on every response head on the way out.
#pragma once

#include <optional>

#include <boost/asio/awaitable.hpp>

#include "middleware/step.h"

namespace gw::middleware {

// The route's steps on the way in; a Reply when one of them answered. Call only for a matched
// route with steps (the session skips the coroutine for routes without any).
boost::asio::awaitable<std::optional<Reply>> run_request_steps(RequestContext& ctx,
                                                               RequestHead& req);

// On the way out, for every response of a matched route (upstream, respond:, replies, errors):
// the steps' on_response, then the headers they queued in ctx.response_headers.
void run_response_steps(RequestContext& ctx, ResponseHead& res);

}  // namespace gw::middleware
