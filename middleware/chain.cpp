#include "middleware/chain.h"

#include "config/types.h"

namespace gw::middleware {

boost::asio::awaitable<std::optional<Reply>> run_request_steps(RequestContext& ctx,
                                                               RequestHead& req) {
    for (const auto& step : ctx.match.route->spec.steps) {
        if (auto reply = co_await step->on_request(ctx, req)) co_return reply;
    }
    co_return std::nullopt;
}

void run_response_steps(RequestContext& ctx, ResponseHead& res) {
    if (!ctx.match.route) return;
    for (const auto& step : ctx.match.route->spec.steps) step->on_response(ctx, res);
    for (const auto& [name, value] : ctx.response_headers) res.set(name, value);
}

}  // namespace gw::middleware
