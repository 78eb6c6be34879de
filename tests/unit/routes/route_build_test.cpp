// RouteTable::build rejections: bad patterns, hosts and rewrites, and conflicting routes, each
// naming file:line:col, the route and the key. Behaviour lives in route_match_test.cpp.
#include <catch.hpp>

#include "tests/unit/routes/route_test_util.h"

using namespace gw::routes;
using namespace gw::routes::test;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

// The single error of building one route with that path.
std::string path_error(const std::string& path) {
    const auto errors = build_errors({spec("ok", "/ok", {}, 0), spec("r", path, {}, 1)});
    REQUIRE(errors.size() == 1);
    return errors[0];
}

}  // namespace

TEST_CASE("invalid paths are errors at match.path", "[routes][build]") {
    CHECK_THAT(path_error("api/x"),
               StartsWith("routes.yaml:22:13: routes[1].match.path: must start with '/'"));
    CHECK_THAT(path_error(""), Contains("must start with '/'"));
    CHECK_THAT(path_error("/a/*/b"), Contains("'*' is only allowed as the whole last segment"));
    CHECK_THAT(path_error("/api*"), Contains("'*' is only allowed"));
    CHECK_THAT(path_error("/a/{id}/{id}"), Contains("duplicate parameter {id}"));
    CHECK_THAT(path_error("/a/x{id}"), Contains("bad parameter 'x{id}'"));
    CHECK_THAT(path_error("/a/{}"), Contains("bad parameter"));
    CHECK_THAT(path_error("/a/{id}/*"), Contains("not supported in a prefix"));
    CHECK_THAT(path_error("/a/../b"), Contains("not a normalised path") && Contains("'/b'"));
    CHECK_THAT(path_error("/a?x=1"), Contains("not a normalised path"));
    CHECK_THAT(path_error("/a%2fb"), Contains("not a normalised path"));
}

TEST_CASE("a bad regex is an error with line and column", "[routes][build]") {
    const auto e = path_error("~ ^/orders/([0-9]+$");
    CHECK_THAT(e, StartsWith("routes.yaml:22:13: routes[1].match.path: invalid regex "
                             "'^/orders/([0-9]+$'"));
    CHECK_THAT(path_error("~   "), Contains("empty regex"));
}

TEST_CASE("valid patterns compile", "[routes][build]") {
    CHECK(build_errors({spec("a", "/", {}, 0), spec("b", "/*", {}, 1), spec("c", "/a//b", {}, 2),
                        spec("d", "/a/{x}/c/{y_2}", {}, 3), spec("e", "~^/re$", {}, 4),
                        spec("f", "/a/b/", {}, 5)})
              .empty());
}

TEST_CASE("bad hosts are errors at the route", "[routes][build]") {
    auto s = spec("h", "/x", {}, 2);
    s.match.host = "api.*.com";
    auto errors = build_errors({s});
    REQUIRE(errors.size() == 1);
    CHECK_THAT(errors[0], StartsWith("routes.yaml:30:5: routes[0].match.host:"));
    s.match.host = "api.example.com:8080";
    errors = build_errors({s});
    REQUIRE(errors.size() == 1);
    CHECK_THAT(errors[0], Contains("without port"));
}

TEST_CASE("rewrite templates may only use the path's parameters", "[routes][build]") {
    auto s = spec("get-order", "/api/orders/{id}", {"GET"}, 1);
    s.rewrite.path = "/v2/orders/{order_id}";
    auto errors = build_errors({spec("other", "/", {}, 0), s});
    REQUIRE(errors.size() == 1);
    CHECK(errors[0] == "routes.yaml:20:5: routes[1].rewrite.path: unknown parameter "
                       "{order_id} in '/v2/orders/{order_id}' (the path has {id}) (route 'get-order')");
    s.rewrite.path = "/v2/{id";
    CHECK_THAT(build_errors({s}).at(0), Contains("unclosed '{'"));
    s.rewrite.path = "v2/{id}";
    CHECK_THAT(build_errors({s}).at(0), Contains("must start with '/'"));
    s.rewrite.path = "/v2/{id}";
    s.rewrite.strip_prefix = "/api";
    CHECK_THAT(build_errors({s}).at(0), Contains("not both"));
}

TEST_CASE("routes that could take the same request conflict", "[routes][build][conflict]") {
    SECTION("identical exact paths, both any method") {
        const auto errors = build_errors({spec("a", "/x", {}, 0), spec("b", "/x", {}, 1)});
        REQUIRE(errors.size() == 1);
        CHECK(errors[0] == "routes.yaml:22:13: routes[1].match.path: route 'b' conflicts with route 'a' "
                           "at routes.yaml:12:13 (same path, methods and host)");
    }
    SECTION("parameter paths of the same shape, names ignored") {
        const auto errors = build_errors({spec("a", "/o/{id}/x", {"GET"}, 0),
                                          spec("b", "/o/{key}/x", {"GET", "POST"}, 1)});
        REQUIRE(errors.size() == 1);
        CHECK_THAT(errors[0], Contains("routes[1].match.path: route 'b'") && Contains("route 'a'"));
    }
    SECTION("identical prefixes, one with any method") {
        CHECK(build_errors({spec("a", "/api/*", {"GET"}, 0), spec("b", "/api/*", {}, 1)})
                  .size() == 1);
    }
    SECTION("identical regexes, GET and HEAD overlap") {
        CHECK(build_errors({spec("a", "~ ^/r$", {"GET"}, 0), spec("b", "~^/r$", {"HEAD"}, 1)})
                  .size() == 1);
    }
    SECTION("same host and headers") {
        auto a = spec("a", "/x", {}, 0);
        auto b = spec("b", "/x", {}, 1);
        a.match.host = b.match.host = "api.example.com";
        a.match.headers = {{"x-a", "1"}, {"x-b", "2"}};
        b.match.headers = {{"x-b", "2"}, {"x-a", "1"}};  // order does not matter
        CHECK(build_errors({a, b}).size() == 1);
    }
    SECTION("three of a kind: each later one reported once") {
        CHECK(build_errors({spec("a", "/x", {}, 0), spec("b", "/x", {}, 1),
                            spec("c", "/x", {}, 2)})
                  .size() == 2);
    }
}

TEST_CASE("routes that cannot take the same request do not conflict",
          "[routes][build][conflict]") {
    auto host_a = spec("a", "/x", {}, 0);
    host_a.match.host = "a.example.com";
    auto host_b = spec("b", "/x", {}, 1);
    host_b.match.host = "b.example.com";
    auto header = spec("c", "/x", {}, 2);
    header.match.headers = {{"x-tenant", "acme"}};
    auto wild = spec("w", "/x", {}, 3);
    wild.match.host = "*.example.com";
    CHECK(build_errors({host_a, host_b, header, wild, spec("d", "/x", {}, 4)}).empty());
    CHECK(build_errors({spec("get", "/o/{id}", {"GET"}, 0), spec("post", "/o/{id}", {"POST"}, 1),
                        spec("exact", "/o/new", {}, 2), spec("pfx", "/o/*", {}, 3),
                        spec("deeper", "/o/{id}/x", {}, 4), spec("re", "~ ^/o/", {}, 5),
                        spec("re2", "~ ^/o", {}, 6)})
              .empty());
}

TEST_CASE("a route with errors is left out, the others are kept", "[routes][build]") {
    std::vector<std::string> errors;
    const auto t =
        RouteTable::build({spec("bad", "~ (", {}, 0), spec("good", "/g", {}, 1)}, errors);
    CHECK(errors.size() == 1);
    CHECK(names(t) == std::vector<std::string>{"good"});
}

TEST_CASE("errors use the loader's key path when it set one", "[routes][build]") {
    auto a = spec("a", "/x", {}, 0);
    auto b = spec("b", "/x", {}, 1);
    b.key = "routes[0]";  // first route of an included file
    b.path_mark.file = "routes/orders.yaml";
    const auto errors = build_errors({a, b});
    REQUIRE(errors.size() == 1);
    CHECK_THAT(errors[0], StartsWith("routes/orders.yaml:22:13: routes[0].match.path: "));
}
