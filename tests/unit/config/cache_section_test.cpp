// cache: at the top level and on routes: what compiles, and each rejection with its position.
#include <catch.hpp>

#include "config/config.h"
#include "middleware/cache/shared_cache.h"
#include "middleware/registry.h"
#include "middleware/step.h"
#include "test_files.h"

using namespace gw::config;
using gw::config::test::find_route;
using gw::config::test::has_error;
using gw::config::test::joined;
using gw::config::test::TempDir;

namespace {

const char* kHead =
    "server: { listen: \"127.0.0.1:0\" }\n"
    "upstreams:\n"
    "  crm: { targets: [{ url: \"http://crm:1\" }] }\n"
    "routes:\n";

LoadResult load_routes(const TempDir& dir, const std::string& routes, std::string& file,
                       gw::middleware::Registry* registry = nullptr,
                       const std::string& top = "") {
    file = dir.write("gateway.yaml", top + kHead + routes);
    return load_config(file, registry);
}

}  // namespace

TEST_CASE("a route cache compiles into the last step and sets the store budget",
          "[config][cache]") {
    TempDir dir;
    std::string f;
    gw::middleware::Registry registry;
    auto r = load_routes(dir,
                         "  - name: a\n"
                         "    match: { path: /a }\n"
                         "    upstream: crm\n"
                         "    cache: { ttl: 30s, store: memory, vary: [Accept, accept, X-B],\n"
                         "             max_body: 1MiB, shared: false, stale_if_error: 5m }\n",
                         f, &registry, "cache: { max_bytes: 2MiB }\n");
    INFO(joined(r.errors));
    REQUIRE(r.config);
    const RouteSpec* route = find_route(*r.config, "a");
    REQUIRE(route);
    REQUIRE(route->steps.size() == 1);
    CHECK(route->steps.back()->name() == "cache");
    CHECK(r.config->cache.max_bytes == 2 * 1024 * 1024);
    CHECK(gw::middleware::cache::shared_cache(registry)->memory.max_bytes() == 2 * 1024 * 1024);
}

TEST_CASE("a failed load leaves the store budget alone", "[config][cache]") {
    TempDir dir;
    std::string f;
    gw::middleware::Registry registry;
    auto before = gw::middleware::cache::shared_cache(registry)->memory.max_bytes();
    auto r = load_routes(dir, "  - name: a\n    match: { path: /a }\n    upstream: nope\n", f,
                         &registry, "cache: { max_bytes: 2MiB }\n");
    CHECK_FALSE(r.config);
    CHECK(gw::middleware::cache::shared_cache(registry)->memory.max_bytes() == before);
}

TEST_CASE("route cache errors name file, line, column and key", "[config][cache]") {
    TempDir dir;
    std::string f;
    auto r = load_routes(dir,
                         "  - name: a\n"
                         "    match: { path: /a }\n"
                         "    upstream: crm\n"
                         "    cache: { store: redis, ttl: 5, vary: [\"bad name\"], colour: x }\n"
                         "  - name: b\n"
                         "    match: { path: /b }\n"
                         "    respond: { status: 200 }\n"
                         "    cache: { ttl: 1s }\n"
                         "  - name: c\n"
                         "    match: { path: /c }\n"
                         "    upstream: crm\n"
                         "    cache: { max_body: 0, shared: maybe }\n",
                         f);
    INFO(joined(r.errors));
    CHECK_FALSE(r.config);
    CHECK(has_error(r, f + ":8:56: routes[0].cache.colour: unknown key"));
    CHECK(has_error(r, f + ":8:21: routes[0].cache.store: store: redis needs a top-level "
                           "redis: section with its url"));
    CHECK(has_error(r, f + ":8:33: routes[0].cache.ttl: expected a duration"));
    CHECK(has_error(r, f + ":8:43: routes[0].cache.vary[0]: expected a header name, "
                           "got 'bad name'"));
    CHECK(has_error(r, f + ":12:12: routes[1].cache: only routes with an upstream are cached"));
    CHECK(has_error(r, f + ":16:24: routes[2].cache.max_body:"));
    CHECK(has_error(r, f + ":16:35: routes[2].cache.shared:"));
}

TEST_CASE("top-level cache errors", "[config][cache]") {
    TempDir dir;
    std::string f;
    auto r = load_routes(dir, "  []\n", f, nullptr, "cache: { max_bytes: 0, size: 1 }\n");
    INFO(joined(r.errors));
    CHECK(has_error(r, f + ":1:21: cache.max_bytes:"));
    CHECK(has_error(r, f + ":1:24: cache.size: unknown key"));
    dir.write("more.yaml", "cache: { max_bytes: 1MiB }\n");
    auto r2 = load_routes(dir, "  []\n", f, nullptr, "include: [more.yaml]\n");
    INFO(joined(r2.errors));
    CHECK(has_error(r2, "more.yaml:1:8: cache: only allowed in the main file"));
}

TEST_CASE("store: redis compiles with the redis: section, without connecting",
          "[config][cache]") {
    TempDir dir;
    std::string f;
    gw::middleware::Registry registry;
    auto r = load_routes(dir,
                         "  - name: a\n"
                         "    match: { path: /a }\n"
                         "    upstream: crm\n"
                         "    cache: { ttl: 30s, store: redis }\n"
                         "  - name: b\n"
                         "    match: { path: /b }\n"
                         "    upstream: crm\n"
                         "    cache: { ttl: 30s, store: memory }\n",
                         f, &registry, "redis: { url: \"redis://127.0.0.1:1/0\" }\n");
    INFO(joined(r.errors));
    REQUIRE(r.config);
    for (const char* name : {"a", "b"}) {
        const RouteSpec* route = find_route(*r.config, name);
        REQUIRE(route);
        REQUIRE(route->steps.size() == 1);
        CHECK(route->steps.back()->name() == "cache");
    }
}

TEST_CASE("store: redis errors: missing redis: section, unknown store", "[config][cache]") {
    TempDir dir;
    std::string f;
    auto r = load_routes(dir,
                         "  - name: a\n"
                         "    match: { path: /a }\n"
                         "    upstream: crm\n"
                         "    cache:\n"
                         "      ttl: 30s\n"
                         "      store: redis\n"
                         "  - name: b\n"
                         "    match: { path: /b }\n"
                         "    upstream: crm\n"
                         "    cache: { store: disk }\n",
                         f);
    INFO(joined(r.errors));
    CHECK_FALSE(r.config);
    CHECK(has_error(r, f + ":10:14: routes[0].cache.store: store: redis needs a top-level "
                           "redis: section with its url"));
    CHECK(has_error(r, f + ":14:21: routes[1].cache.store:"));
    CHECK(has_error(r, "expected memory | redis, got 'disk'"));
}
