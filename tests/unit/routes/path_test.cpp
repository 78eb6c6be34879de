// normalize_target and rewrite_path: the path every later check (routing, ACLs, cache keys)
// sees, and the path sent upstream.
#include <catch.hpp>

#include "routes/path.h"
#include "tests/unit/routes/route_test_util.h"

using gw::routes::normalize_target;
using gw::routes::rewrite_path;
using namespace gw::routes::test;

namespace {

std::string norm(std::string_view target) {
    const auto r = normalize_target(target);
    return r ? r->path : std::string("REFUSED");
}

}  // namespace

TEST_CASE("normalize_target resolves dot-segments and harmless escapes", "[routes][path]") {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"/", "/"},
        {"/api/orders", "/api/orders"},
        {"/a/../admin", "/admin"},
        {"/%61dmin", "/admin"},
        {"/a/%2e%2e/b", "/b"},
        {"/a/%2E/b", "/a/b"},
        {"/a/./b", "/a/b"},
        {"/a//b", "/a//b"},
        {"/a/b/..", "/a/"},
        {"/a/.", "/a/"},
        {"/..", "/"},
        {"/../a", "/a"},
        {"/../../a/b", "/a/b"},
        {"/a/...", "/a/..."},
        {"/a%20b", "/a%20b"},
        {"/a%3fb", "/a%3Fb"},              // reserved escapes stay encoded, upper-cased
        {"/%7euser/%7E", "/~user/~"},
        {"/a/", "/a/"},
    };
    for (const auto& [in, want] : cases) {
        INFO(in);
        CHECK(norm(in) == want);
    }
}

TEST_CASE("normalize_target refuses ambiguous or non-origin targets", "[routes][path]") {
    for (const char* in : {"http://x/a", "*", "", "a/b", "x.example:443", "/a%2fb", "/a%2Fb",
                           "/a%5cb", "/a%00b", "/a%zzb", "/a%4", "/a%", "/a\\b", "/a\x01" "b",
                           "/a\x7f", "/a b", "/a/..;/b", "/a/..;x=1/b", "/a/.;/b", "/a/%2e%2e;/b",
                           "/a/..;"}) {
        INFO(in);
        CHECK(norm(in) == "REFUSED");
    }
}

TEST_CASE("normalize_target keeps the query apart and as sent", "[routes][path]") {
    const auto r = normalize_target("/a/../b?x=%2f&y=/../z");
    REQUIRE(r);
    CHECK(r->path == "/b");
    CHECK(r->query == "x=%2f&y=/../z");
    const auto no_query = normalize_target("/b");
    REQUIRE(no_query);
    CHECK(no_query->query.empty());
    const auto empty_query = normalize_target("/b?");
    REQUIRE(empty_query);
    CHECK(empty_query->path == "/b");
    CHECK(empty_query->query.empty());
}

TEST_CASE("rewrite_path substitutes parameters, re-encoded", "[routes][path]") {
    auto s = spec("get-order", "/api/orders/{id}/items/{item}");
    s.rewrite.path = "/v2/orders/{id}/i/{item}";
    const auto t = table({s});
    const auto m = t.match(request("GET", "/api/orders/a%20b/items/7"));
    REQUIRE(m.status == gw::routes::MatchStatus::found);
    CHECK(rewrite_path(*m.route, "/api/orders/a%20b/items/7", m.params) ==
          "/v2/orders/a%20b/i/7");
    // A decoded value carrying '/', '?' or '%' must stay one segment upstream.
    const gw::routes::Params odd = {{"id", "x/y?z%"}, {"item", "~ok-._"}};
    CHECK(rewrite_path(*m.route, "/ignored", odd) == "/v2/orders/x%2Fy%3Fz%25/i/~ok-._");
}

TEST_CASE("rewrite_path strips a prefix at a segment boundary only", "[routes][path]") {
    auto s = spec("api", "/api/*");
    s.rewrite.strip_prefix = "/api";
    auto slash = spec("v1", "/v1/*", {}, 1);
    slash.rewrite.strip_prefix = "/v1/";  // a trailing '/' means the same
    const auto t = table({s, slash, spec("plain", "/plain/*", {}, 2)});
    const auto& api = by_name(t, "api");
    const auto& v1 = by_name(t, "v1");
    CHECK(rewrite_path(api, "/api/x/y", {}) == "/x/y");
    CHECK(rewrite_path(api, "/api", {}) == "/");
    CHECK(rewrite_path(api, "/api/", {}) == "/");
    CHECK(rewrite_path(api, "/apix", {}) == "/apix");
    CHECK(rewrite_path(v1, "/v1/a", {}) == "/a");
    CHECK(rewrite_path(by_name(t, "plain"), "/plain/a", {}) == "/plain/a");
}
