// The cors step: origin matching, preflight answers and the headers of actual responses.
#include <catch.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "middleware/cors/cors_step.h"

using namespace gw::middleware;
using namespace gw::middleware::cors;
namespace http = boost::beast::http;

namespace {

CorsPolicy policy() {
    CorsPolicy p;
    p.origins = {"https://app.example.com", "http://localhost:3000"};
    p.schemes = {"https"};
    p.suffixes = {".partner.example"};
    return p;
}

std::optional<Reply> run(const CorsStep& step, RequestContext& ctx, RequestHead& req) {
    boost::asio::io_context ioc;
    auto f = boost::asio::co_spawn(ioc, step.on_request(ctx, req), boost::asio::use_future);
    ioc.run();
    return f.get();
}

std::string header(const Reply& r, const std::string& name) {
    for (const auto& [n, v] : r.headers)
        if (n == name) return v;
    return "<absent>";
}

std::string queued(const RequestContext& ctx, const std::string& name) {
    for (const auto& [n, v] : ctx.response_headers)
        if (n == name) return v;
    return "<absent>";
}

RequestHead preflight_req(const std::string& origin, const std::string& method,
                          const std::string& headers = "") {
    RequestHead req;
    req.method(http::verb::options);
    req.set(http::field::origin, origin);
    req.set(http::field::access_control_request_method, method);
    if (!headers.empty()) req.set(http::field::access_control_request_headers, headers);
    return req;
}

}  // namespace

TEST_CASE("cors: origins match exactly, by wildcard subdomain, or any", "[cors]") {
    CorsPolicy p = policy();
    CHECK(p.allows_origin("https://app.example.com"));
    CHECK(p.allows_origin("HTTPS://APP.example.com"));
    CHECK(p.allows_origin("http://localhost:3000"));
    CHECK_FALSE(p.allows_origin("http://localhost:3001"));
    CHECK_FALSE(p.allows_origin("http://app.example.com"));       // scheme differs
    CHECK_FALSE(p.allows_origin("https://app.example.com.evil"));  // not a suffix match
    CHECK(p.allows_origin("https://a.partner.example"));
    CHECK(p.allows_origin("https://a.b.partner.example"));
    CHECK_FALSE(p.allows_origin("https://partner.example"));      // needs a label before
    CHECK_FALSE(p.allows_origin("https://evilpartner.example"));
    CHECK_FALSE(p.allows_origin("http://a.partner.example"));
    CHECK_FALSE(p.allows_origin("https://a.partner.example/x"));
    CHECK_FALSE(p.allows_origin(""));
    CHECK_FALSE(p.allows_origin("null"));
    p.any_origin = true;
    CHECK(p.allows_origin("null"));
    CHECK(p.allow_origin_value("https://x.y") == "*");
    CHECK_FALSE(p.varies_by_origin());
}

TEST_CASE("cors: Vary gets Origin once", "[cors]") {
    CHECK(with_vary("", "Origin") == "Origin");
    CHECK(with_vary("Accept", "Origin") == "Accept, Origin");
    CHECK(with_vary("accept, origin", "Origin") == "accept, origin");
    CHECK(with_vary("*", "Origin") == "*");
}

TEST_CASE("cors: an allowed preflight is answered 204 with the allow headers", "[cors]") {
    CorsPolicy p = policy();
    p.credentials = true;
    p.max_age = "600";
    CorsStep step(p);
    RequestContext ctx;
    // The step reads the route's methods through ctx.match.route->spec.
    gw::routes::CompiledRoute compiled;
    compiled.spec.match.methods = {"GET", "POST"};
    ctx.match.route = &compiled;
    auto req = preflight_req("https://app.example.com", "POST", "Content-Type, X-Trace");
    auto reply = run(step, ctx, req);
    REQUIRE(reply);
    CHECK(reply->status == 204);
    CHECK(reply->code.empty());
    CHECK(header(*reply, "access-control-allow-origin") == "https://app.example.com");
    CHECK(header(*reply, "access-control-allow-methods") == "GET, POST");
    CHECK(header(*reply, "access-control-allow-headers") == "Content-Type, X-Trace");
    CHECK(header(*reply, "access-control-allow-credentials") == "true");
    CHECK(header(*reply, "access-control-max-age") == "600");
    CHECK(header(*reply, "vary") == "Origin, Access-Control-Request-Headers");
}

TEST_CASE("cors: a preflight outside the policy is refused 403 cors_forbidden", "[cors]") {
    CorsPolicy p = policy();
    p.methods = {"GET"};
    p.methods_value = "GET";
    p.headers = {"content-type"};
    p.headers_value = "content-type";
    CorsStep step(p);
    gw::routes::CompiledRoute compiled;
    RequestContext ctx;
    ctx.match.route = &compiled;

    auto req = preflight_req("https://evil.example", "GET");
    auto r = run(step, ctx, req);
    REQUIRE(r);
    CHECK(r->status == 403);
    CHECK(r->code == "cors_forbidden");
    CHECK(r->message.find("https://evil.example") != std::string::npos);

    req = preflight_req("https://app.example.com", "DELETE");
    r = run(step, ctx, req);
    REQUIRE(r);
    CHECK(r->status == 403);
    CHECK(r->message.find("DELETE") != std::string::npos);

    req = preflight_req("https://app.example.com", "GET", "content-type, x-secret");
    r = run(step, ctx, req);
    REQUIRE(r);
    CHECK(r->status == 403);
    CHECK(r->message.find("x-secret") != std::string::npos);

    req = preflight_req("https://app.example.com", "GET", "Content-Type");
    r = run(step, ctx, req);
    REQUIRE(r);
    CHECK(r->status == 204);
    CHECK(header(*r, "access-control-allow-headers") == "content-type");
    CHECK(header(*r, "access-control-allow-methods") == "GET");
}

TEST_CASE("cors: actual requests from allowed origins get the response headers", "[cors]") {
    CorsPolicy p = policy();
    p.expose_value = "x-request-id, ratelimit-remaining";
    CorsStep step(p);
    RequestContext ctx;
    RequestHead req;
    req.method(http::verb::get);
    req.set(http::field::origin, "https://app.example.com");
    CHECK_FALSE(run(step, ctx, req));
    CHECK(queued(ctx, "access-control-allow-origin") == "https://app.example.com");
    CHECK(queued(ctx, "access-control-expose-headers") == "x-request-id, ratelimit-remaining");
    CHECK(queued(ctx, "access-control-allow-credentials") == "<absent>");

    RequestContext other;
    req.set(http::field::origin, "https://evil.example");
    CHECK_FALSE(run(step, other, req));  // goes on, but the browser will not let it be read
    CHECK(other.response_headers.empty());

    RequestContext none;
    req.erase(http::field::origin);
    CHECK_FALSE(run(step, none, req));
    CHECK(none.response_headers.empty());

    ResponseHead res;
    res.set(http::field::vary, "Accept");
    step.on_response(ctx, res);
    CHECK(res[http::field::vary] == "Accept, Origin");
}
