// include: — files merged into one configuration, names unique across all of them.
#include <catch.hpp>

#include <filesystem>

#include "config/config.h"
#include "test_files.h"

using namespace gw::config;
using gw::config::test::find_route;
using gw::config::test::has_error;
using gw::config::test::joined;
using gw::config::test::TempDir;

namespace {

const char* kMain = R"(include: ["routes/*.yaml"]
upstreams:
  crm:
    targets: [{ url: "http://crm:1" }]
routes:
  - name: main-route
    match: { path: /main }
    upstream: billing
)";

const char* kBilling = R"(upstreams:
  billing:
    targets: [{ url: "http://billing:1" }]
routes:
  - name: a-route
    match: { path: /a }
    upstream: crm
)";

}  // namespace

TEST_CASE("included files merge, names resolve across files", "[config][include]") {
    TempDir dir;
    std::string main = dir.write("gateway.yaml", kMain);
    dir.write("routes/a.yaml", kBilling);
    dir.write("routes/ignored.txt", "not: yaml: at all: [");
    auto r = load_config(main);
    INFO(joined(r.errors));
    REQUIRE(r.config);
    REQUIRE(r.config->upstreams.size() == 2);
    CHECK(r.config->upstreams[0]->name == "billing");
    CHECK(r.config->upstreams[1]->name == "crm");
    const RouteSpec* a = find_route(*r.config, "a-route");
    REQUIRE(a);
    CHECK(a->mark.file == dir.path() + "/routes/a.yaml");
    CHECK(a->key == "routes[0]");
    CHECK(a->upstream->name == "crm");
    CHECK(find_route(*r.config, "main-route")->upstream->name == "billing");
}

TEST_CASE("a name defined twice names both places", "[config][include]") {
    TempDir dir;
    std::string main = dir.write("gateway.yaml", kMain);
    dir.write("routes/a.yaml", kBilling);
    std::string b = dir.write("routes/b.yaml", R"(upstreams:
  crm:
    targets: [{ url: "http://other:1" }]
routes:
  - name: fine
    match: { path: /fine }
    upstream: crm
  - name: main-route
    match: { path: /b }
    upstream: nope
server:
  workers: 2
)");
    auto r = load_config(main);
    INFO(joined(r.errors));
    CHECK(r.config == nullptr);
    REQUIRE(r.errors.size() == 4);
    CHECK(has_error(r, b + ":2:3: upstreams.crm: upstream 'crm' is already defined at " + main +
                           ":3:3"));
    CHECK(has_error(r, b + ":8:11: routes[1].name: route 'main-route' is already defined at " +
                           main + ":6:11"));
    CHECK(has_error(r, b + ":10:15: routes[1].upstream: unknown upstream 'nope'"));
    CHECK(has_error(r, b + ":12:3: server: only allowed in the main file"));
}

TEST_CASE("include errors: missing file, bad YAML in an included file", "[config][include]") {
    TempDir dir;
    std::string main = dir.write("gateway.yaml", "include:\n  - extra.yaml\n  - more/*.yaml\n");
    dir.write("more/bad.yaml", "routes: [\n");
    auto r = load_config(main);
    INFO(joined(r.errors));
    REQUIRE(r.errors.size() == 2);
    CHECK(r.errors[0] ==
          main + ":2:5: include[0]: cannot read include 'extra.yaml': No such file or directory");
    CHECK(r.errors[1].rfind(dir.path() + "/more/bad.yaml:", 0) == 0);
    CHECK(r.errors[1].find("invalid YAML") != std::string::npos);
}

TEST_CASE("include cycles are read once", "[config][include]") {
    TempDir dir;
    std::string main = dir.write("gateway.yaml", "include: [a.yaml]\n");
    dir.write("a.yaml", "include: [gateway.yaml, a.yaml]\nroutes:\n"
                        "  - { name: x, match: { path: /x }, respond: { status: 200 } }\n");
    auto r = load_config(main);
    INFO(joined(r.errors));
    REQUIRE(r.config);
    CHECK(r.config->routes.routes().size() == 1);
}

TEST_CASE("errors use file names as given, includes relative to the including file",
          "[config][include]") {
    TempDir dir;
    dir.write("conf/gateway.yaml", "include: [routes/*.yaml]\n");
    dir.write("conf/routes/orders.yaml", "routes:\n  - name: o\n    match: { path: /o }\n"
                                         "    upstream: crmm\n");
    // load_config takes the path as the operator typed it; run from the temp dir so that a
    // relative path is what gets passed, then restore the working directory.
    auto previous = std::filesystem::current_path();
    std::filesystem::current_path(dir.path());
    auto r = load_config("conf/gateway.yaml");
    std::filesystem::current_path(previous);
    INFO(joined(r.errors));
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0] == "conf/routes/orders.yaml:4:15: routes[0].upstream: unknown upstream "
                         "'crmm'");
}
