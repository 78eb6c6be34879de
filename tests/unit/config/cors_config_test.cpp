// cors: load errors (file:line:col and key path) and where the step goes in the route's chain.
#include <catch.hpp>

#include "config/config.h"
#include "middleware/cors/cors_step.h"
#include "test_files.h"

using namespace gw::config;
using gw::config::test::find_route;
using gw::config::test::joined;
using gw::config::test::TempDir;

namespace {

std::string config_with(const std::string& cors, const std::string& extra = "") {
    return "server: { listen: \"127.0.0.1:0\" }\nroutes:\n"
           "  - name: r\n    match: { path: /r }\n    respond: { status: 200 }\n" +
           extra + "    cors: " + cors + "\n";
}

std::string one_error(const std::string& cors) {
    TempDir dir;
    std::string f = dir.write("gateway.yaml", config_with(cors));
    auto r = load_config(f);
    INFO(joined(r.errors));
    CHECK(r.config == nullptr);
    REQUIRE(r.errors.size() == 1);
    REQUIRE(r.errors[0].rfind(f + ":", 0) == 0);
    return r.errors[0].substr(f.size() + 1);
}

}  // namespace

TEST_CASE("cors: errors name file:line:col and the key path", "[config][cors]") {
    CHECK(one_error("{ methods: [GET] }") == "6:11: routes[0].cors.origins: is required");
    CHECK(one_error("{ origins: [\"https://a.example/path\"] }") ==
          "6:23: routes[0].cors.origins[0]: expected '*' or an origin such as "
          "https://app.example.com or https://*.example.com (scheme and host, optional port, "
          "no path), got 'https://a.example/path'");
    CHECK(one_error("{ origins: [app.example.com] }") ==
          "6:23: routes[0].cors.origins[0]: expected '*' or an origin such as "
          "https://app.example.com or https://*.example.com (scheme and host, optional port, "
          "no path), got 'app.example.com'");
    CHECK(one_error("{ origins: [] }") == "6:22: routes[0].cors.origins: expected at least one origin");
    CHECK(one_error("{ origins: [\"*\"], credentials: true }") ==
          "6:42: routes[0].cors.credentials: cannot be true with origins '*': browsers refuse "
          "credentials from a wildcard origin; list the origins instead");
    CHECK(one_error("{ origins: [\"*\"], headers: [\"bad name\"] }") ==
          "6:39: routes[0].cors.headers[0]: expected a header name, got 'bad name'");
    CHECK(one_error("{ origins: [\"*\"], max_age: soon }") ==
          "6:38: routes[0].cors.max_age: expected a duration like 250ms, 5s, 10m or 1h, got "
          "'soon'");
    CHECK(one_error("{ origins: [\"*\"], origin: x }") ==
          "6:29: routes[0].cors.origin: unknown key (did you mean 'origins'?)");
}

TEST_CASE("cors: the step goes after ip and before auth", "[config][cors]") {
    TempDir dir;
    std::string f = dir.write(
        "gateway.yaml",
        "server: { listen: \"127.0.0.1:0\" }\n"
        "consumers:\n  - name: c\n    api_keys: [\"k-0123456789abcdef0123\"]\n"
        "authenticators:\n  keys: { type: api_key, header: x-api-key }\n" +
            config_with("{ origins: [\"https://app.example.com\", \"https://*.example.org\"], "
                        "methods: [get, post], max_age: 10m }",
                        "    ip: { allow: [\"127.0.0.0/8\"] }\n    auth: [keys]\n")
                .substr(std::string("server: { listen: \"127.0.0.1:0\" }\n").size()));
    auto r = load_config(f);
    INFO(joined(r.errors));
    REQUIRE(r.config);
    const RouteSpec* spec = find_route(*r.config, "r");
    REQUIRE(spec);
    REQUIRE(spec->steps.size() == 3);
    CHECK(spec->steps[0]->name() == "ip");
    CHECK(spec->steps[1]->name() == "cors");
    CHECK(spec->steps[2]->name() == "auth");
    const auto& policy =
        dynamic_cast<const gw::middleware::cors::CorsStep&>(*spec->steps[1]).policy();
    CHECK(policy.methods_value == "GET, POST");
    CHECK(policy.max_age == "600");
    CHECK(policy.allows_origin("https://x.example.org"));
    CHECK_FALSE(policy.allows_origin("https://example.org"));
}
