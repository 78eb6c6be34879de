// Runs a route's steps (RouteSpec::steps) for one request: in order on the way in, where the
// first step that answers ends the chain, and on every response head on the way out.
#pragma once

#include <cstddef>
#include <optional>

#include <boost/asio/awaitable.hpp>

#include "middleware/step.h"
#include "server/executor.h"

namespace gw::middleware {

// What the steps that could decide at once (Step::try_request) came to.
struct StepsSoFar {
    bool done = false;           // every step decided, or one answered
    std::optional<Reply> reply;  // the answer, when one answered
    std::size_t next = 0;        // !done: the first step to co_await
};

// The route's steps on the way in, as far as they decide without waiting. Call only for a
// matched route. The common chain (ip, local rate limit, memory cache hit) ends here with no
// coroutine frame at all.
StepsSoFar try_request_steps(RequestContext& ctx, RequestHead& req);

// The steps from `from` on (after try_request_steps stopped there); a Reply when one of them
// answered.
Task<std::optional<Reply>> run_request_steps(RequestContext& ctx, RequestHead& req,
                                             std::size_t from = 0);

// On the way out, for every response of a matched route (upstream, respond:, replies, errors):
// the steps' on_response, then the headers they queued in ctx.response_headers.
void run_response_steps(RequestContext& ctx, ResponseHead& res);

}  // namespace gw::middleware
