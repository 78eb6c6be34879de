#include <catch.hpp>

#include <boost/beast/http.hpp>

#include "server/upstream_head.h"

using namespace gw::server;
namespace asio = boost::asio;

namespace {

using Request = http::request<http::empty_body>;

// What the upstream would read: the written head parsed back as one request.
Request sent(const UpstreamHead& head, const Request& req) {
    std::string wire;
    head.append(wire, req);
    http::request_parser<http::empty_body> parser;
    boost::system::error_code ec;
    std::size_t used = parser.put(asio::buffer(wire), ec);
    REQUIRE(!ec);
    REQUIRE(parser.is_header_done());
    REQUIRE(used == wire.size());
    return parser.release();
}

Request client_request() {
    Request req{http::verb::get, "/api/items?x=1", 11};
    req.set(http::field::host, "api.example.com");
    req.set(http::field::accept, "application/json");
    return req;
}

struct Prepared {
    Request req = client_request();
    UpstreamHead head;
    gw::config::HeaderOps rules;
    gw::config::Credentials credentials;

    Request prepare(bool trusted, bool tls = false, bool chunked = false,
                    std::optional<std::uint64_t> length = std::nullopt) {
        head.prepare(req, {"10.1.2.3", trusted, tls, "req-1"}, rules, credentials, chunked,
                     length);
        head.point_at("/items?x=1", "up.internal:8080");
        return sent(head, req);
    }
};

}  // namespace

TEST_CASE("the upstream head carries the target, Host and the gateway's headers",
          "[upstream_head]") {
    Prepared p;
    auto out = p.prepare(false);
    CHECK(out.method() == http::verb::get);
    CHECK(out.target() == "/items?x=1");
    CHECK(out.version() == 11);
    CHECK(out.count(http::field::host) == 1);
    CHECK(out[http::field::host] == "up.internal:8080");
    CHECK(out[http::field::accept] == "application/json");
    CHECK(out["x-forwarded-for"] == "10.1.2.3");
    CHECK(out["x-forwarded-proto"] == "http");
    CHECK(out["x-forwarded-host"] == "api.example.com");
    CHECK(out["x-request-id"] == "req-1");
    CHECK(out["traceparent"].size() == kTraceparentSize);
    CHECK(out.count(http::field::content_length) == 0);
    CHECK(out.count(http::field::transfer_encoding) == 0);
    CHECK(p.head.framing() == Framing::none);
}

TEST_CASE("an untrusted peer's forwarding claims are replaced or dropped", "[upstream_head]") {
    Prepared p;
    p.req.set("X-Forwarded-For", "6.6.6.6");
    p.req.set("x-forwarded-proto", "https");
    p.req.set("X-Forwarded-Host", "evil.example");
    p.req.set(http::field::forwarded, "for=6.6.6.6");
    p.req.set("x-real-ip", "6.6.6.6");
    auto out = p.prepare(false, true);
    CHECK(out.count("x-forwarded-for") == 1);
    CHECK(out["x-forwarded-for"] == "10.1.2.3");
    CHECK(out.count("x-forwarded-proto") == 1);
    CHECK(out["x-forwarded-proto"] == "https");  // from the gateway's own TLS, not the claim
    CHECK(out["x-forwarded-host"] == "api.example.com");
    CHECK(out.count(http::field::forwarded) == 0);
    CHECK(out.count("x-real-ip") == 0);
}

TEST_CASE("a trusted peer's forwarding headers are kept and appended to", "[upstream_head]") {
    Prepared p;
    p.req.insert("x-forwarded-for", "1.1.1.1");
    p.req.insert("x-forwarded-for", "2.2.2.2, 3.3.3.3");
    p.req.set("x-forwarded-proto", "https");
    p.req.set("x-forwarded-host", "public.example");
    p.req.set("x-real-ip", "1.1.1.1");
    auto out = p.prepare(true);
    CHECK(out.count("x-forwarded-for") == 1);
    CHECK(out["x-forwarded-for"] == "1.1.1.1, 2.2.2.2, 3.3.3.3, 10.1.2.3");
    CHECK(out["x-forwarded-proto"] == "https");
    CHECK(out["x-forwarded-host"] == "public.example");
    CHECK(out["x-real-ip"] == "1.1.1.1");
}

TEST_CASE("a trusted peer without forwarding headers gets the gateway's", "[upstream_head]") {
    Prepared p;
    auto out = p.prepare(true, true);
    CHECK(out["x-forwarded-for"] == "10.1.2.3");
    CHECK(out["x-forwarded-proto"] == "https");
    CHECK(out["x-forwarded-host"] == "api.example.com");
}

TEST_CASE("a request without Host sends no X-Forwarded-Host", "[upstream_head]") {
    Prepared p;
    p.req.erase(http::field::host);
    p.req.set("x-forwarded-host", "evil.example");
    auto out = p.prepare(false);
    CHECK(out.count("x-forwarded-host") == 0);
    CHECK(out[http::field::host] == "up.internal:8080");
}

TEST_CASE("hop-by-hop headers, Expect and the client's framing do not go upstream",
          "[upstream_head]") {
    Prepared p;
    p.req.set(http::field::connection, "keep-alive, X-Hop");
    p.req.set("x-hop", "1");
    p.req.set(http::field::keep_alive, "timeout=5");
    p.req.set(http::field::te, "trailers");
    p.req.set(http::field::expect, "100-continue");
    p.req.set(http::field::content_length, "999");
    auto out = p.prepare(false, false, false, 12);
    CHECK(out.count(http::field::connection) == 0);
    CHECK(out.count("x-hop") == 0);
    CHECK(out.count(http::field::keep_alive) == 0);
    CHECK(out.count(http::field::te) == 0);
    CHECK(out.count(http::field::expect) == 0);
    CHECK(out.count(http::field::content_length) == 1);
    CHECK(out[http::field::content_length] == "12");
    CHECK(p.head.framing() == Framing::length);
}

TEST_CASE("a chunked body stays chunked until it is replayed whole", "[upstream_head]") {
    Prepared p;
    p.req.method(http::verb::post);
    auto out = p.prepare(false, false, true, std::nullopt);
    CHECK(out[http::field::transfer_encoding] == "chunked");
    CHECK(out.count(http::field::content_length) == 0);
    CHECK(p.head.framing() == Framing::chunked);
    p.head.replay(5);
    out = sent(p.head, p.req);
    CHECK(out.count(http::field::transfer_encoding) == 0);
    CHECK(out[http::field::content_length] == "5");
    CHECK(p.head.framing() == Framing::length);
}

TEST_CASE("route header rules apply to the gateway's headers too", "[upstream_head]") {
    Prepared p;
    p.req.set("cookie", "a=1");
    p.rules.remove = {"cookie", "x-request-id"};
    p.rules.set = {{"x-forwarded-proto", "https"}, {"host", "api.vendor.com"}, {"x-env", "1"}};
    auto out = p.prepare(false);
    CHECK(out.count("cookie") == 0);
    CHECK(out.count("x-request-id") == 0);
    CHECK(out["x-forwarded-proto"] == "https");
    CHECK(out["x-env"] == "1");
    CHECK(out.count(http::field::host) == 1);
    CHECK(out[http::field::host] == "api.vendor.com");
    // A retry to another target keeps the rule's Host.
    p.head.point_at("/other", "second.internal");
    out = sent(p.head, p.req);
    CHECK(out.target() == "/other");
    CHECK(out[http::field::host] == "api.vendor.com");
}

TEST_CASE("a header credential wins over the client and the route rules", "[upstream_head]") {
    Prepared p;
    p.req.set("x-api-key", "client-sent");
    p.rules.set = {{"x-api-key", "rule"}};
    p.credentials.type = gw::config::Credentials::Type::header;
    p.credentials.name = "x-api-key";
    p.credentials.value = "secret";
    auto out = p.prepare(false);
    CHECK(out.count("x-api-key") == 1);
    CHECK(out["x-api-key"] == "secret");
}

TEST_CASE("a bearer credential replaces the client's Authorization", "[upstream_head]") {
    Prepared p;
    p.req.set(http::field::authorization, "Bearer client");
    p.credentials.type = gw::config::Credentials::Type::bearer;
    p.credentials.value = "tok";
    auto out = p.prepare(false);
    CHECK(out.count(http::field::authorization) == 1);
    CHECK(out[http::field::authorization] == "Bearer tok");
}

TEST_CASE("traceparent keeps the client's trace id with a new parent id", "[upstream_head]") {
    Prepared p;
    const std::string sent_trace = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    p.req.set("traceparent", sent_trace);
    auto out = p.prepare(false);
    auto trace = out["traceparent"];
    CHECK(out.count("traceparent") == 1);
    CHECK(trace.substr(0, 36) == sent_trace.substr(0, 36));
    CHECK(trace.substr(36, 16) != sent_trace.substr(36, 16));
    CHECK(trace.substr(52) == "-01");
}

TEST_CASE("a HTTP/1.0 request goes upstream as HTTP/1.1", "[upstream_head]") {
    Prepared p;
    p.req.version(10);
    auto out = p.prepare(false);
    CHECK(out.version() == 11);
}
