// A step of a route's request path (ip filter, cors, auth, allow, rate limit, cache lookup).
//
// Each concern has two halves: a compiled, immutable configuration built once at load by
// config/ (bad input is a load error there, never here), and this per-request step that only
// reads it. A route holds its steps in order in RouteSpec::steps; the session runs them after
// routing and before the proxy (or the route's respond:). The first step that answers ends
// the chain. Steps are shared by every worker thread: on_request and on_response are const and
// may keep per-thread or shared state only in types built for it (see registry.h).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>

#include "config/types.h"
#include "middleware/request_context.h"
#include "server/executor.h"

namespace gw::middleware {

using RequestHead = boost::beast::http::request_header<>;
using ResponseHead = boost::beast::http::response_header<>;

// An answer a step made itself. With a `code`, the gateway writes its JSON error shape
// ({"error":{"code","message","request_id"}}); without one, `body` goes out as it is.
struct Reply {
    unsigned status = 0;
    std::string code;     // e.g. "invalid_token", "rate_limited"
    std::string message;  // for the JSON error; never secrets or internals
    config::HeaderList headers;  // e.g. WWW-Authenticate, Retry-After
    // Added before `headers`, repeated names kept: a cache hit's stored headers, not copied.
    std::shared_ptr<const config::HeaderList> shared_headers;
    std::string body;     // when code is empty
    std::shared_ptr<const std::string> shared_body;  // instead of body: no copy (cache hits)

    static Reply error(unsigned status, std::string code, std::string message) {
        Reply r;
        r.status = status;
        r.code = std::move(code);
        r.message = std::move(message);
        return r;
    }
};

class Step {
public:
    virtual ~Step() = default;
    // For logs and /routes: "ip", "auth", "allow", "rate_limit", "cache".
    virtual std::string_view name() const = 0;
    // Runs before the request goes on. May change the request head (remove forged identity
    // headers, add X-Consumer-Name) and ctx. Returns a Reply to answer the request itself.
    // Runs on the worker's thread; may co_await (a JWKS fetch, a Redis call).
    virtual Task<std::optional<Reply>> on_request(RequestContext& ctx, RequestHead& req) const = 0;
    // The same decision without a coroutine, for steps that can often decide at once (a local
    // rate limit, a memory cache, an ip list): true when decided, with `reply` set to answer.
    // false: nothing was done, co_await on_request. A coroutine frame per step and request is
    // measurable on the hot path; the chain tries this first.
    virtual bool try_request(RequestContext&, RequestHead&, std::optional<Reply>&) const {
        return false;
    }
    // Called once with the head of whatever answer goes downstream (upstream, respond:, a
    // step's Reply, the gateway's own errors), before it is written.
    virtual void on_response(RequestContext&, ResponseHead&) const {}
    // Whether on_response may change a head: a route none of whose steps does relays the
    // upstream's head without building Beast fields for it. Steps that override on_response
    // say true.
    virtual bool shapes_response() const { return false; }
};

// A step that never waits: it implements decide() and gets both request entry points.
class SyncStep : public Step {
public:
    virtual std::optional<Reply> decide(RequestContext& ctx, RequestHead& req) const = 0;

    Task<std::optional<Reply>> on_request(RequestContext& ctx, RequestHead& req) const final {
        co_return decide(ctx, req);
    }
    bool try_request(RequestContext& ctx, RequestHead& req,
                     std::optional<Reply>& reply) const final {
        reply = decide(ctx, req);
        return true;
    }
};

using StepPtr = std::shared_ptr<const Step>;

}  // namespace gw::middleware
