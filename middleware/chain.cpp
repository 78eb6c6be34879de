#include "middleware/chain.h"

#include "config/types.h"

namespace gw::middleware {

StepsSoFar try_request_steps(RequestContext& ctx, RequestHead& req) {
    StepsSoFar out;
    const auto& steps = ctx.match.route->spec.steps;
    for (; out.next < steps.size(); ++out.next) {
        if (!steps[out.next]->try_request(ctx, req, out.reply)) return out;
        if (out.reply) break;
    }
    out.done = true;
    return out;
}

Task<std::optional<Reply>> run_request_steps(RequestContext& ctx, RequestHead& req,
                                             std::size_t from) {
    const auto& steps = ctx.match.route->spec.steps;
    for (std::size_t i = from; i < steps.size(); ++i) {
        std::optional<Reply> reply;
        if (!steps[i]->try_request(ctx, req, reply))
            reply = co_await steps[i]->on_request(ctx, req);
        if (reply) co_return reply;
    }
    co_return std::nullopt;
}

void run_response_steps(RequestContext& ctx, ResponseHead& res) {
    if (!ctx.match.route) return;
    for (const auto& step : ctx.match.route->spec.steps) step->on_response(ctx, res);
    for (const auto& [name, value] : ctx.response_headers) res.set(name, value);
}

}  // namespace gw::middleware
