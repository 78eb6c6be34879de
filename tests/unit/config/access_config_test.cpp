// consumers:, authenticators: and the route keys auth/allow/ip: what loads, which steps a
// route gets, and each error with its file:line:col.
#include <catch.hpp>

#include <crypt.h>

#include "config/config.h"
#include "middleware/step.h"
#include "test_files.h"

using namespace gw::config;
using gw::config::test::find_route;
using gw::config::test::has_error;
using gw::config::test::joined;
using gw::config::test::TempDir;

namespace {

const std::string kHead =
    "server: { listen: \"127.0.0.1:0\" }\n"                       // 1
    "upstreams:\n"                                                // 2
    "  up: { targets: [{ url: \"http://127.0.0.1:1\" }] }\n";     // 3

std::string bcrypt(const char* password) {
    char salt[CRYPT_GENSALT_OUTPUT_SIZE];
    REQUIRE(crypt_gensalt_rn("$2b$", 4, nullptr, 0, salt, sizeof salt));
    crypt_data data{};
    return crypt_r(password, salt, &data);
}

std::vector<std::string> step_names(const RouteSpec& r) {
    std::vector<std::string> out;
    for (const auto& s : r.steps) out.emplace_back(s->name());
    return out;
}

}  // namespace

TEST_CASE("access config: consumers, authenticators and a route's steps in order",
          "[config][auth]") {
    TempDir dir;
    auto f = dir.write("gateway.yaml", kHead +
        "consumers:\n"
        "  - name: billing\n"
        "    api_keys: [\"billing-key-0123456789\", \"sha256:" + std::string(64, 'a') + "\"]\n"
        "    groups: [internal]\n"
        "  - { name: mobile, jwt_subject: mobile-app }\n"
        "authenticators:\n"
        "  keys: { type: api_key, header: X-Api-Key }\n"
        "  qkeys: { type: api_key, query: api_key }\n"
        "  ops: { type: basic, users: { admin: \"" + bcrypt("pw") + "\" } }\n"
        "routes:\n"
        "  - name: all\n"
        "    match: { path: /all }\n"
        "    upstream: up\n"
        "    allow: { consumers: [billing, admin], groups: [internal], scopes: [a] }\n"
        "    auth: { use: [keys, qkeys, ops], forward_credentials: true }\n"
        "    ip: { allow: [\"10.0.0.0/8\", \"::1\"], deny: [\"10.1.0.0/16\"] }\n"
        "  - { name: short, match: { path: /short }, upstream: up, auth: [keys] }\n"
        "  - { name: open, match: { path: /open }, upstream: up }\n");
    auto r = load_config(f);
    INFO(joined(r.errors));
    REQUIRE(r.config);
    CHECK(step_names(*find_route(*r.config, "all")) ==
          std::vector<std::string>{"ip", "auth", "allow"});
    CHECK(step_names(*find_route(*r.config, "short")) == std::vector<std::string>{"auth"});
    CHECK(find_route(*r.config, "open")->steps.empty());
}

TEST_CASE("access config: unknown names suggest the closest", "[config][auth]") {
    TempDir dir;
    auto f = dir.write("gateway.yaml", kHead +
        "consumers:\n"                                               // 4
        "  - { name: billing, groups: [internal] }\n"                // 5
        "authenticators:\n"                                          // 6
        "  keys: { type: api_key, header: x-api-key }\n"             // 7
        "  idp: { type: jwtt }\n"                                    // 8
        "routes:\n"                                                  // 9
        "  - name: a\n"                                              // 10
        "    match: { path: /a }\n"                                  // 11
        "    upstream: up\n"                                         // 12
        "    auth: [kyes]\n"                                         // 13
        "    allow: { consumers: [biling], groups: [internl] }\n");  // 14
    auto r = load_config(f);
    INFO(joined(r.errors));
    CHECK(r.errors.size() == 4);
    CHECK(has_error(r, f + ":8:16: authenticators.idp.type: expected api_key | basic | jwt | "
                           "oauth2_introspection, got 'jwtt' (did you mean 'jwt'?)"));
    CHECK(has_error(r, f + ":13:12: routes[0].auth[0]: unknown authenticator 'kyes' "
                           "(did you mean 'keys'?)"));
    CHECK(has_error(r, f + ":14:26: routes[0].allow.consumers[0]: unknown consumer 'biling' "
                           "(did you mean 'billing'?)"));
    CHECK(has_error(r, f + ":14:44: routes[0].allow.groups[0]: unknown group 'internl' "
                           "(did you mean 'internal'?)"));
}

TEST_CASE("access config: duplicate keys and names, across files", "[config][auth]") {
    TempDir dir;
    auto f = dir.write("gateway.yaml", kHead +
        "include: [more.yaml]\n"                                        // 4
        "consumers:\n"                                                  // 5
        "  - name: a\n"                                                 // 6
        "    api_keys: [\"same-key-0123456789\", \"same-key-0123456789\"]\n"  // 7
        "authenticators:\n"                                             // 8
        "  keys: { type: api_key, header: x-api-key }\n");              // 9
    auto more = dir.write("more.yaml",
        "consumers:\n"                                                  // 1
        "  - name: b\n"                                                 // 2
        "    api_keys: \"sha256:" + std::string(64, '0') + "\"\n"        // 3
        "  - name: a\n"                                                 // 4
        "  - { name: c, api_keys: [\"sha256:" + std::string(64, '0') + "\"] }\n"  // 5
        "authenticators:\n"                                             // 6
        "  keys: { type: api_key, query: k }\n");                       // 7
    auto r = load_config(f);
    INFO(joined(r.errors));
    CHECK(r.errors.size() == 4);
    CHECK(has_error(r, f + ":7:39: consumers[0].api_keys[1]: the same API key is already "
                           "given at " + f + ":7:16 (consumer 'a')"));
    CHECK(has_error(r, more + ":4:11: consumers[1].name: consumer 'a' is already defined at " +
                           f + ":6:11"));
    CHECK(has_error(r, more + ":5:27: consumers[2].api_keys[0]: the same API key is already "
                              "given at " + more + ":3:15 (consumer 'b')"));
    CHECK(has_error(r, more + ":7:3: authenticators.keys: authenticator 'keys' is already "
                              "defined at " + f + ":9:3"));
    // The key itself never appears in an error.
    CHECK(joined(r.errors).find("same-key") == std::string::npos);
}

TEST_CASE("access config: bad values", "[config][auth]") {
    TempDir dir;
    auto f = dir.write("gateway.yaml", kHead +
        "consumers:\n"                                                       // 4
        "  - { name: a, api_keys: [short, \"sha256:abc\"] }\n"               // 5
        "authenticators:\n"                                                  // 6
        "  both: { type: api_key, header: x-k, query: k }\n"                 // 7
        "  ops: { type: basic, users: { admin: \"plain-password\" } }\n"     // 8
        "  ops2: { type: basic, users: { \"a:b\": \"$6$x$y\" }, realm: 'x\"' }\n"  // 9
        "routes:\n"                                                          // 10
        "  - name: a\n"                                                      // 11
        "    match: { path: /a }\n"                                          // 12
        "    upstream: up\n"                                                 // 13
        "    allow: { scopes: [x] }\n"                                       // 14
        "    ip: { allow: [\"10.0.0.0/33\"] }\n"                             // 15
        "  - { name: b, match: { path: /b }, upstream: up, auth: [] }\n");   // 16
    auto r = load_config(f);
    INFO(joined(r.errors));
    CHECK(has_error(r, f + ":5:27: consumers[0].api_keys[0]: an API key needs at least 16 "
                           "characters"));
    CHECK(has_error(r, f + ":5:34: consumers[0].api_keys[1]: expected sha256: and 64 hex "
                           "digits"));
    CHECK(has_error(r, f + ":7:9: authenticators.both: give exactly one of 'header' and "
                           "'query'"));
    CHECK(has_error(r, f + ":8:39: authenticators.ops.users.admin: expected a password hash"));
    CHECK(has_error(r, f + ":9:59: authenticators.ops2.realm: a realm cannot hold quotes"));
    CHECK(has_error(r, f + ":14:12: routes[0].allow: needs 'auth' on the same route"));
    CHECK(has_error(r, f + ":15:19: routes[0].ip.allow[0]: expected an address or CIDR"));
    CHECK(has_error(r, f + ":16:57: routes[1].auth: expected at least one authenticator name"));
    CHECK(r.errors.size() == 8);
    CHECK(joined(r.errors).find("plain-password") == std::string::npos);
}

TEST_CASE("access config: api_keys_file holds one key per line", "[config][auth]") {
    TempDir dir;
    dir.write("keys.txt", "# billing keys\nfirst-key-0123456789\n\nsecond-key-0123456789\r\n");
    dir.write("dup.txt", "first-key-0123456789\nshort\n");
    auto good = dir.write("gateway.yaml", kHead +
        "consumers:\n"
        "  - { name: billing, api_keys_file: keys.txt }\n");
    auto r = load_config(good);
    INFO(joined(r.errors));
    CHECK(r.config);
    auto bad = dir.write("bad.yaml", kHead +
        "consumers:\n"                                                                // 4
        "  - { name: billing, api_keys_file: keys.txt }\n"                            // 5
        "  - { name: other, api_keys_file: dup.txt }\n"                               // 6
        "  - { name: both, api_keys: [x], api_keys_file: keys.txt }\n");              // 7
    r = load_config(bad);
    INFO(joined(r.errors));
    CHECK(r.errors.size() == 3);
    CHECK(has_error(r, bad + ":6:35: consumers[1].api_keys_file: the same API key is already "
                             "given at " + bad + ":5:37 (consumer 'billing')"));
    CHECK(has_error(r, bad + ":6:35: consumers[1].api_keys_file: an API key needs at least 16"));
    CHECK(has_error(r, bad + ":7:49: consumers[2].api_keys_file: give either 'api_keys' or "
                             "'api_keys_file', not both"));
    CHECK(joined(r.errors).find("first-key") == std::string::npos);
}
