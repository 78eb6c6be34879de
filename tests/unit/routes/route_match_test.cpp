// RouteTable::match behaviour: precedence, parameters, prefixes, host and header constraints,
// methods (405 with Allow, HEAD on GET routes).
#include <catch.hpp>

#include <boost/beast/http/fields.hpp>

#include "tests/unit/routes/route_test_util.h"

using namespace gw::routes;
using namespace gw::routes::test;

TEST_CASE("exact beats parameters beats regex beats prefix", "[routes][match]") {
    // Config order is the reverse of precedence, so only the ordering can make this pass.
    const auto t = table({spec("prefix", "/api/*", {}, 0),
                          spec("regex", "~ ^/api/orders/[0-9]+$", {}, 1),
                          spec("param", "/api/orders/{id}", {}, 2),
                          spec("exact", "/api/orders/42", {}, 3)});
    CHECK(names(t) == std::vector<std::string>{"exact", "param", "regex", "prefix"});
    for (std::size_t i = 0; i < t.routes().size(); ++i) CHECK(t.routes()[i].index == i);
    CHECK(outcome(t, request("GET", "/api/orders/42")) == "exact");
    CHECK(outcome(t, request("GET", "/api/orders/43")) == "param");
    CHECK(outcome(t, request("GET", "/api/orders/43/x")) == "prefix");
    CHECK(outcome(t, request("GET", "/api")) == "prefix");
    CHECK(outcome(t, request("GET", "/other")) == "404");
}

TEST_CASE("regex routes come before prefixes", "[routes][match]") {
    const auto t = table({spec("prefix", "/files/*", {}, 0), spec("regex", "~ \\.pdf$", {}, 1)});
    CHECK(outcome(t, request("GET", "/files/a.pdf")) == "regex");
    CHECK(outcome(t, request("GET", "/files/a.txt")) == "prefix");
    CHECK(outcome(t, request("GET", "/x.pdf")) == "regex");
}

TEST_CASE("longer prefix beats shorter", "[routes][match]") {
    const auto t = table({spec("all", "/*", {}, 0), spec("api", "/api/*", {}, 1),
                          spec("v2", "/api/v2/*", {}, 2)});
    CHECK(names(t) == std::vector<std::string>{"v2", "api", "all"});
    CHECK(outcome(t, request("GET", "/api/v2/x")) == "v2");
    CHECK(outcome(t, request("GET", "/api/v2")) == "v2");
    CHECK(outcome(t, request("GET", "/api/v3")) == "api");
    CHECK(outcome(t, request("GET", "/")) == "all");
    CHECK(outcome(t, request("GET", "/apix")) == "all");
}

TEST_CASE("prefix /api/* takes /api and everything under /api/ only", "[routes][match]") {
    const auto t = table({spec("api", "/api/*")});
    CHECK(outcome(t, request("GET", "/api")) == "api");
    CHECK(outcome(t, request("GET", "/api/")) == "api");
    CHECK(outcome(t, request("GET", "/api/x/y")) == "api");
    CHECK(outcome(t, request("GET", "/apix")) == "404");
    CHECK(outcome(t, request("GET", "/ap")) == "404");
}

TEST_CASE("parameters take one non-empty segment, decoded", "[routes][match]") {
    const auto t = table({spec("item", "/orders/{order}/items/{item_id}")});
    auto m = t.match(request("GET", "/orders/A%20B/items/%C3%A9"));
    REQUIRE(m.status == MatchStatus::found);
    CHECK(m.params == Params{{"order", "A B"}, {"item_id", "\xC3\xA9"}});
    CHECK(outcome(t, request("GET", "/orders//items/1")) == "404");
    CHECK(outcome(t, request("GET", "/orders/1/items/")) == "404");
    CHECK(outcome(t, request("GET", "/orders/1/items/2/3")) == "404");
    CHECK(outcome(t, request("GET", "/orders/1/items")) == "404");
}

TEST_CASE("among parameter paths the leftmost literal wins", "[routes][match]") {
    const auto t = table({spec("any", "/{a}/{b}", {}, 0), spec("right", "/{a}/b", {}, 1),
                          spec("left", "/a/{b}", {}, 2)});
    CHECK(names(t) == std::vector<std::string>{"left", "right", "any"});
    CHECK(outcome(t, request("GET", "/a/b")) == "left");
    CHECK(outcome(t, request("GET", "/x/b")) == "right");
    CHECK(outcome(t, request("GET", "/x/y")) == "any");
}

TEST_CASE("exact host, case-insensitive", "[routes][match][host]") {
    auto s = spec("api", "/x");
    s.match.host = "api.example.com";
    const auto t = table({s, spec("fallback", "/x", {}, 1)});
    CHECK(outcome(t, request("GET", "/x", "api.example.com")) == "api");
    CHECK(outcome(t, request("GET", "/x", "API.Example.com")) == "api");
    CHECK(outcome(t, request("GET", "/x", "other.example.com")) == "fallback");
    CHECK(outcome(t, request("GET", "/x", "")) == "fallback");
}

TEST_CASE("wildcard host takes one or more labels, not the bare domain", "[routes][match][host]") {
    auto s = spec("wild", "/x");
    s.match.host = "*.example.com";
    const auto t = table({s});
    CHECK(outcome(t, request("GET", "/x", "a.example.com")) == "wild");
    CHECK(outcome(t, request("GET", "/x", "a.b.example.com")) == "wild");
    CHECK(outcome(t, request("GET", "/x", "example.com")) == "404");
    CHECK(outcome(t, request("GET", "/x", "badexample.com")) == "404");
    CHECK(outcome(t, request("GET", "/x", "")) == "404");
}

TEST_CASE("exact host ranks before wildcard, constrained before unconstrained",
          "[routes][match][host]") {
    auto wild = spec("wild", "/api/*", {}, 0);
    wild.match.host = "*.example.com";
    auto exact = spec("exact", "/api/*", {}, 1);
    exact.match.host = "api.example.com";
    const auto t = table({spec("any", "/api/*", {}, 2), wild, exact});
    CHECK(names(t) == std::vector<std::string>{"exact", "wild", "any"});
    CHECK(outcome(t, request("GET", "/api/x", "api.example.com")) == "exact");
    CHECK(outcome(t, request("GET", "/api/x", "b.example.com")) == "wild");
    CHECK(outcome(t, request("GET", "/api/x", "other.org")) == "any");
}

TEST_CASE("header constraints are exact matches", "[routes][match][headers]") {
    auto s = spec("acme", "/x");
    s.match.headers = {{"x-tenant", "acme"}};
    const auto t = table({spec("default", "/x", {}, 1), s});
    boost::beast::http::fields h;
    CHECK(outcome(t, request("GET", "/x", "", nullptr)) == "default");
    CHECK(outcome(t, request("GET", "/x", "", &h)) == "default");
    h.set("X-Tenant", "acme");
    CHECK(outcome(t, request("GET", "/x", "", &h)) == "acme");
    h.set("X-Tenant", "ACME");
    CHECK(outcome(t, request("GET", "/x", "", &h)) == "default");
    h.set("X-Tenant", "other");
    h.insert("x-tenant", "acme");  // any of several fields may match
    CHECK(outcome(t, request("GET", "/x", "", &h)) == "acme");
}

TEST_CASE("wrong method gives 405 with sorted, unique Allow", "[routes][match][methods]") {
    const auto t = table({spec("get", "/orders/{id}", {"GET"}, 0),
                          spec("write", "/orders/{id}", {"PUT", "DELETE"}, 1),
                          spec("exact", "/orders/new", {"POST", "PUT"}, 2)});
    CHECK(outcome(t, request("GET", "/orders/1")) == "get");
    CHECK(outcome(t, request("DELETE", "/orders/1")) == "write");
    CHECK(outcome(t, request("PATCH", "/orders/1")) == "405 DELETE, GET, PUT");
    CHECK(outcome(t, request("PATCH", "/orders/new")) == "405 DELETE, GET, POST, PUT");
    // The exact route does not allow GET, so the parameter route behind it takes the request.
    CHECK(outcome(t, request("GET", "/orders/new")) == "get");
    CHECK(outcome(t, request("PATCH", "/nothing")) == "404");
    const auto m = t.match(request("PATCH", "/orders/1"));
    CHECK(m.route == nullptr);
    CHECK(m.params.empty());
}

TEST_CASE("405 only counts routes whose host and headers fit", "[routes][match][methods]") {
    auto s = spec("acme", "/x", {"POST"});
    s.match.host = "acme.example.com";
    const auto t = table({s});
    CHECK(outcome(t, request("GET", "/x", "acme.example.com")) == "405 POST");
    CHECK(outcome(t, request("GET", "/x", "other.example.com")) == "404");
}

TEST_CASE("HEAD is served by GET routes, but Allow lists the configured methods",
          "[routes][match][methods]") {
    const auto t = table({spec("get", "/x", {"GET"}), spec("post", "/y", {"POST"}, 1),
                          spec("any", "/z", {}, 2)});
    CHECK(outcome(t, request("HEAD", "/x")) == "get");
    CHECK(outcome(t, request("HEAD", "/y")) == "405 POST");
    CHECK(outcome(t, request("DELETE", "/x")) == "405 GET");
    CHECK(outcome(t, request("ANYTHING", "/z")) == "any");
    CHECK(outcome(t, request("get", "/x")) == "405 GET");  // methods are case-sensitive
}

TEST_CASE("an empty table and a default table find nothing", "[routes][match]") {
    CHECK(outcome(RouteTable{}, request("GET", "/")) == "404");
    CHECK(outcome(table({}), request("GET", "/")) == "404");
}

TEST_CASE("a copied table matches into its own routes", "[routes][match]") {
    const auto original = table({spec("a", "/a")});
    const RouteTable copy = original;  // NOLINT: the copy is the point
    const auto m = copy.match(request("GET", "/a"));
    REQUIRE(m.status == MatchStatus::found);
    CHECK(m.route == &copy.routes()[0]);
}
