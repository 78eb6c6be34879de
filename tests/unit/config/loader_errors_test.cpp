// load_config rejections: each test checks the exact "file:line:col: key.path: message" line.
#include <catch.hpp>

#include <cstdlib>

#include "config/config.h"
#include "test_files.h"

using namespace gw::config;
using gw::config::test::has_error;
using gw::config::test::joined;
using gw::config::test::TempDir;

namespace {

LoadResult load_text(const TempDir& dir, const std::string& yaml, std::string& file) {
    file = dir.write("gateway.yaml", yaml);
    return load_config(file);
}

}  // namespace

TEST_CASE("unknown key: error with a suggestion", "[config][loader]") {
    TempDir dir;
    std::string f;
    auto r = load_text(dir, "server:\n  listen: \"127.0.0.1:0\"\n  wrokers: 4\n", f);
    INFO(joined(r.errors));
    CHECK(r.config == nullptr);
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0] == f + ":3:3: server.wrokers: unknown key (did you mean 'workers'?)");
}

TEST_CASE("bad duration names the value's line and column", "[config][loader]") {
    TempDir dir;
    std::string f;
    auto r = load_text(dir, "server:\n  limits:\n    header_timeout: 10\n", f);
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0] == f + ":3:21: server.limits.header_timeout: expected a duration like "
                             "250ms, 5s, 10m or 1h, got '10'");
}

TEST_CASE("unset ${VAR} without default is an error", "[config][loader][env]") {
    ::unsetenv("GW_TEST_UNSET_VAR");
    TempDir dir;
    std::string f;
    auto r = load_text(dir, "admin:\n  token: \"${GW_TEST_UNSET_VAR}\"\n", f);
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0] == f + ":2:10: admin.token: environment variable 'GW_TEST_UNSET_VAR' is "
                             "not set (use ${GW_TEST_UNSET_VAR:-default} for a default)");
}

TEST_CASE("unknown upstream with suggestion, route index in the path", "[config][loader]") {
    TempDir dir;
    std::string f;
    auto r = load_text(dir,
                       "upstreams:\n"
                       "  crm:\n"
                       "    targets: [{ url: \"http://crm.internal:8080\" }]\n"
                       "routes:\n"
                       "  - name: a\n"
                       "    match: { path: /a }\n"
                       "    upstream: crm\n"
                       "  - name: b\n"
                       "    match: { path: /b }\n"
                       "    upstream: crm\n"
                       "  - name: c\n"
                       "    match: { path: /c }\n"
                       "    upstream: crmm\n",
                       f);
    INFO(joined(r.errors));
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0] ==
          f + ":13:15: routes[2].upstream: unknown upstream 'crmm' (did you mean 'crm'?)");
}

TEST_CASE("errors in several sections are all reported", "[config][loader]") {
    TempDir dir;
    std::string f;
    auto r = load_text(dir,
                       "server:\n"
                       "  listen: \"127.0.0.1:0\"\n"
                       "redis:\n"
                       "  url: \"redis://127.0.0.1:6379/0\"\n"
                       "  tiemout: 1s\n"
                       "upstreams:\n"
                       "  crm:\n"
                       "    targets: [{ url: \"http://crm:1\" }]\n"
                       "    credentials: { type: bearer, token: x }\n"
                       "routes:\n"
                       "  - name: a\n"
                       "    match: { path: /a }\n"
                       "    upstream: crm\n"
                       "    cors: {}\n",
                       f);
    INFO(joined(r.errors));
    CHECK(r.config == nullptr);
    CHECK(r.errors.size() == 2);
    CHECK(has_error(r, f + ":5:3: redis.tiemout: unknown key (did you mean 'timeout'?)"));
    CHECK(has_error(r, f + ":14:11: routes[0].cors.origins: is required"));
}

TEST_CASE("certificates must be readable PEM", "[config][loader][tls]") {
    TempDir dir;
    auto [crt, key] = dir.write_cert("server");
    dir.write("bad.key", "not a key\n");
    std::string f;
    auto r = load_text(dir,
                       "server:\n"
                       "  listen: \"127.0.0.1:0\"\n"
                       "  tls:\n"
                       "    cert_file: missing.crt\n"
                       "    key_file: bad.key\n"
                       "    client_ca_file: " + crt + "\n",
                       f);
    INFO(joined(r.errors));
    REQUIRE(r.errors.size() == 2);
    CHECK(r.errors[0] == f + ":4:16: server.tls.cert_file: cannot read certificate "
                             "'missing.crt': No such file or directory");
    CHECK(r.errors[1] == f + ":5:15: server.tls.key_file: 'bad.key' is not a PEM private key");
}

TEST_CASE("a key that does not belong to the certificate is refused", "[config][loader][tls]") {
    TempDir dir;
    auto [crt, key] = dir.write_cert("one");
    auto [crt2, key2] = dir.write_cert("two");
    std::string f;
    auto r = load_text(dir, "server:\n  tls:\n    cert_file: one.crt\n    key_file: two.key\n", f);
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0] == f + ":4:15: server.tls.key_file: private key 'two.key' does not match "
                             "the certificate");
}

TEST_CASE("every error is collected, not just the first", "[config][loader]") {
    TempDir dir;
    std::string f;
    auto r = load_text(dir,
                       "server:\n"
                       "  listen: \"127.0.0.1:99999\"\n"
                       "  workers: 2000\n"
                       "log:\n"
                       "  level: verbose\n"
                       "upstreams:\n"
                       "  u:\n"
                       "    targets: [{ url: \"ftp://x\" }, "
                       "{ url: \"http://y/base/\", weight: 0 }]\n"
                       "routes:\n"
                       "  - match: { path: /a, methods: [\"G T\"] }\n"
                       "    upstream: u\n"
                       "    respond: { status: 200 }\n"
                       "  - name: r\n"
                       "    match: { path: /r }\n"
                       "    respond: { status: 700 }\n",
                       f);
    INFO(joined(r.errors));
    CHECK(r.errors.size() == 9);
    CHECK(has_error(r, f + ":2:11: server.listen: port must be 0..65535, got '99999'"));
    CHECK(has_error(r, f + ":3:12: server.workers: expected an integer 0..1024, got '2000'"));
    CHECK(has_error(r, f + ":5:10: log.level: expected debug | info | warn | error, "
                           "got 'verbose'"));
    CHECK(has_error(r, f + ":8:22: upstreams.u.targets[0].url: expected an http:// or https:// "
                           "URL, got 'ftp://x'"));
    CHECK(has_error(r, f + ":8:68: upstreams.u.targets[1].weight: expected an integer 1..10000, "
                           "got '0'"));
    CHECK(has_error(r, f + ":10:5: routes[0].name: is required"));
    CHECK(has_error(r, f + ":10:34: routes[0].match.methods[0]: expected an HTTP method, "
                           "got 'G T'"));
    CHECK(has_error(r, f + ":10:5: routes[0]: give exactly one of 'upstream' and 'respond'"));
    CHECK(has_error(r, f + ":15:24: routes[1].respond.status: expected an integer 100..599, "
                           "got '700'"));
}

TEST_CASE("YAML syntax errors carry line and column", "[config][loader]") {
    TempDir dir;
    std::string f;
    auto r = load_text(dir, "server:\n  listen: [a, b\nlog: {}\n", f);
    INFO(joined(r.errors));
    REQUIRE(r.errors.size() == 1);
    // yaml-cpp notices the missing ']' where the next token starts.
    CHECK(r.errors[0] == f + ":3:4: invalid YAML: end of sequence flow not found");
}

TEST_CASE("a missing main file is one error, no throw", "[config][loader]") {
    auto r = load_config("/nonexistent/gw/gateway.yaml");
    CHECK(r.config == nullptr);
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0] ==
          "/nonexistent/gw/gateway.yaml: cannot read file: No such file or directory");
}

TEST_CASE("an unreadable *_file secret names the key and position", "[config][loader]") {
    TempDir dir;
    std::string f;
    auto r = load_text(dir,
                       "upstreams:\n"
                       "  crm:\n"
                       "    targets: [{ url: \"http://crm:1\" }]\n"
                       "    credentials:\n"
                       "      type: bearer\n"
                       "      token_file: secrets/none\n",
                       f);
    INFO(joined(r.errors));
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0] == f + ":6:19: upstreams.crm.credentials.token_file: cannot read "
                             "'secrets/none': No such file or directory");
}

TEST_CASE("duplicate keys and wrong node kinds are reported", "[config][loader]") {
    TempDir dir;
    std::string f;
    auto r = load_text(dir,
                       "log:\n"
                       "  level: info\n"
                       "  level: debug\n"
                       "server: [1, 2]\n"
                       "routes: {}\n",
                       f);
    INFO(joined(r.errors));
    REQUIRE(r.errors.size() == 3);
    CHECK(r.errors[0] == f + ":4:9: server: expected a mapping, got a list");
    CHECK(r.errors[1] == f + ":3:3: log.level: duplicate key (first at " + f + ":2:3)");
    CHECK(r.errors[2] == f + ":5:9: routes: expected a list, got a mapping");
}

TEST_CASE("a credential with a line break is refused without echoing it", "[config][loader]") {
    TempDir dir;
    std::string secret_file = dir.write("token", "abc\r\nx-injected: 1\n");
    std::string f;
    auto r = load_text(dir,
                       "upstreams:\n"
                       "  crm:\n"
                       "    targets: [{ url: \"http://127.0.0.1:1\" }]\n"
                       "    credentials:\n"
                       "      type: bearer\n"
                       "      token_file: " + secret_file + "\n",
                       f);
    INFO(joined(r.errors));
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0] == f + ":5:7: upstreams.crm.credentials: the credential contains a line "
                             "break or NUL character");
    CHECK(r.errors[0].find("x-injected") == std::string::npos);
}
