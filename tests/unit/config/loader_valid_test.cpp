// load_config acceptance: a complete file read back value by value, defaults, secrets from
// files and the environment, and the shipped example config/gateway.yaml.
#include <catch.hpp>

#include <cstdlib>
#include <filesystem>

#include "config/config.h"
#include "middleware/step.h"
#include "test_files.h"

using namespace gw::config;
using namespace std::chrono_literals;
using gw::config::test::find_route;
using gw::config::test::joined;
using gw::config::test::TempDir;

namespace {

const char* kFullConfig = R"(server:
  listen: ["127.0.0.1:0", "[::1]:8443"]
  workers: 4
  tls:
    cert_file: certs/gw.crt
    key_file: certs/gw.key
    min_version: "1.3"
    client_ca_file: certs/gw.crt
  limits:
    max_header_bytes: 8KiB
    max_body_bytes: 1MiB
    header_timeout: 2s
    idle_timeout: 1m
    max_connections: 500
  trusted_proxies: ["10.0.0.0/8", "::1"]
  drain_timeout: 250ms
admin:
  listen: "127.0.0.1:0"
  token_file: secrets/admin_token
log:
  level: warn
  access: "off"
  redact_headers: [Authorization, X-Api-Key]
upstreams:
  crm:
    targets:
      - url: "https://crm.internal/api/v1/"
      - url: "http://${GW_TEST_HOST}:${GW_TEST_PORT:-1}"
        weight: 3
    balance: least_request
    timeouts: { connect: 500ms, response: 20s }
    keepalive: { max_idle: 8, idle_timeout: 30s }
    tls: { verify: false, ca_file: certs/gw.crt, sni: crm.example.com }
    credentials: { type: basic, username: svc, password_file: secrets/password }
  hdr:
    targets: [{ url: "http://[::1]:9000" }]
    credentials: { type: header, name: X-Api-Key, value: "${GW_TEST_KEY:-k-123}" }
routes:
  - name: get-contact
    match:
      path: /api/contacts/{id}
      methods: [get, Post]
      host: API.Example.com
      headers: { X-Tenant: acme }
    upstream: crm
    rewrite: { path: "/contacts/{id}" }
    timeout: 3s
    headers:
      request: { set: { X-Source: gateway }, remove: [Cookie] }
      response: { set: { X-Frame-Options: DENY }, remove: [Server] }
  - name: status
    match: { path: /status }
    respond: { status: 204, headers: { Content-Type: text/plain }, body: "ok" }
)";

// Writes kFullConfig with its certificate and secret files into dir and loads it.
LoadResult load_full(const TempDir& dir) {
    ::setenv("GW_TEST_HOST", "10.1.2.3", 1);
    ::unsetenv("GW_TEST_PORT");
    ::unsetenv("GW_TEST_KEY");
    dir.write_cert("certs/gw");
    dir.write("secrets/admin_token", "s3cret\n");
    dir.write("secrets/password", "pa:ss\r\n");
    return load_config(dir.write("gateway.yaml", kFullConfig));
}

}  // namespace

TEST_CASE("full config round trip: server, admin, log", "[config][loader]") {
    TempDir dir;
    auto result = load_full(dir);
    INFO(joined(result.errors));
    REQUIRE(result.errors.empty());
    REQUIRE(result.config);
    const Config& c = *result.config;
    CHECK(c.source == dir.path() + "/gateway.yaml");
    const std::string crt = dir.path() + "/certs/gw.crt";
    const std::string key = dir.path() + "/certs/gw.key";

    REQUIRE(c.server.listen.size() == 2);
    CHECK(c.server.listen[0].str() == "127.0.0.1:0");
    CHECK(c.server.listen[1].host == "::1");
    CHECK(c.server.listen[1].port == 8443);
    CHECK(c.server.workers == 4);
    REQUIRE(c.server.tls);
    CHECK(c.server.tls->cert_file == crt);  // resolved against the YAML file's directory
    CHECK(c.server.tls->key_file == key);
    CHECK(c.server.tls->min_version == "1.3");
    CHECK(c.server.tls->client_ca_file == crt);
    CHECK(c.server.limits.max_header_bytes == 8192);
    CHECK(c.server.limits.max_body_bytes == 1024 * 1024);
    CHECK(c.server.limits.header_timeout == 2s);
    CHECK(c.server.limits.idle_timeout == 60s);
    CHECK(c.server.limits.max_connections == 500);
    REQUIRE(c.server.trusted_proxies.size() == 2);
    CHECK(c.server.trusted_proxies[0].prefix == 8);
    CHECK(c.server.trusted_proxies[1].prefix == 128);
    CHECK(c.server.drain_timeout == 250ms);

    REQUIRE(c.admin.listen);
    CHECK(c.admin.listen->str() == "127.0.0.1:0");
    CHECK(c.admin.token == "s3cret");
    CHECK(c.log.level == LogLevel::warn);
    CHECK(c.log.access == "off");
    CHECK(c.log.redact_headers == std::vector<std::string>{"authorization", "x-api-key"});
}

TEST_CASE("full config round trip: upstreams", "[config][loader]") {
    TempDir dir;
    auto result = load_full(dir);
    INFO(joined(result.errors));
    REQUIRE(result.config);
    const Config& c = *result.config;

    REQUIRE(c.upstreams.size() == 2);
    const Upstream& crm = *c.upstreams[0];  // sorted by name
    CHECK(crm.name == "crm");
    REQUIRE(crm.targets.size() == 2);
    CHECK(crm.targets[0].tls);
    CHECK(crm.targets[0].host == "crm.internal");
    CHECK_FALSE(crm.targets[0].ip.has_value());  // a name: resolved when connecting
    CHECK(crm.targets[0].port == 443);
    CHECK(crm.targets[0].base_path == "/api/v1");
    CHECK(crm.targets[0].weight == 1);
    CHECK_FALSE(crm.targets[1].tls);
    CHECK(crm.targets[1].host == "10.1.2.3");
    REQUIRE(crm.targets[1].ip.has_value());
    CHECK(crm.targets[1].ip->to_string() == "10.1.2.3");
    CHECK(crm.targets[1].port == 1);
    CHECK(crm.targets[1].base_path.empty());
    CHECK(crm.targets[1].weight == 3);
    CHECK(crm.balance == Balance::least_request);
    CHECK(crm.connect_timeout == 500ms);
    CHECK(crm.response_timeout == 20s);
    CHECK(crm.keepalive_max_idle == 8);
    CHECK(crm.keepalive_idle_timeout == 30s);
    CHECK_FALSE(crm.tls.verify);
    CHECK(crm.tls.sni == "crm.example.com");
    CHECK(crm.credentials.type == Credentials::Type::basic);
    CHECK(crm.credentials.value == "svc:pa:ss");
    const Upstream& hdr = *c.upstreams[1];
    CHECK(hdr.targets[0].host == "::1");
    REQUIRE(hdr.targets[0].ip.has_value());
    CHECK(hdr.targets[0].ip->is_v6());
    CHECK(hdr.targets[0].ip->to_string() == "::1");
    CHECK(hdr.targets[0].port == 9000);
    CHECK(hdr.credentials.type == Credentials::Type::header);
    CHECK(hdr.credentials.name == "x-api-key");
    CHECK(hdr.credentials.value == "k-123");
}

TEST_CASE("full config round trip: routes", "[config][loader]") {
    TempDir dir;
    auto result = load_full(dir);
    INFO(joined(result.errors));
    REQUIRE(result.config);
    const Config& c = *result.config;
    REQUIRE(c.routes.routes().size() == 2);
    const RouteSpec* r = find_route(c, "get-contact");
    REQUIRE(r);
    CHECK(r->key == "routes[0]");
    CHECK(r->mark.line == 39);
    CHECK(r->mark.col == 5);
    CHECK(r->path_mark.line == 41);
    CHECK(r->path_mark.col == 13);
    CHECK(r->match.path == "/api/contacts/{id}");
    CHECK(r->match.methods == std::vector<std::string>{"GET", "POST"});
    CHECK(r->match.host == "api.example.com");
    CHECK(r->match.headers == HeaderList{{"x-tenant", "acme"}});
    CHECK(r->upstream.get() == c.upstreams.at(0).get());
    CHECK_FALSE(r->respond);
    CHECK(r->rewrite.path == "/contacts/{id}");
    CHECK(r->timeout == 3s);
    CHECK(r->request_headers.set == HeaderList{{"x-source", "gateway"}});
    CHECK(r->request_headers.remove == std::vector<std::string>{"cookie"});
    CHECK(r->response_headers.set == HeaderList{{"x-frame-options", "DENY"}});
    CHECK(r->response_headers.remove == std::vector<std::string>{"server"});
    const RouteSpec* s = find_route(c, "status");
    REQUIRE(s);
    REQUIRE(s->respond);
    CHECK(s->upstream == nullptr);
    CHECK(s->respond->status == 204);
    CHECK(s->respond->headers == HeaderList{{"content-type", "text/plain"}});
    CHECK(s->respond->body == "ok");
}

TEST_CASE("defaults apply to an empty file", "[config][loader]") {
    TempDir dir;
    auto result = load_config(dir.write("gateway.yaml", ""));
    INFO(joined(result.errors));
    REQUIRE(result.config);
    const Config& c = *result.config;
    REQUIRE(c.server.listen.size() == 1);
    CHECK(c.server.listen[0].str() == "0.0.0.0:8080");
    CHECK(c.server.workers == 0);
    CHECK_FALSE(c.server.tls);
    CHECK(c.server.limits.max_header_bytes == 16 * 1024);
    CHECK(c.server.limits.header_timeout == 10s);
    CHECK(c.server.drain_timeout == 30s);
    CHECK_FALSE(c.admin.listen);
    CHECK(c.log.level == LogLevel::info);
    CHECK(c.log.access == "stdout");
    CHECK(c.upstreams.empty());
    CHECK(c.routes.routes().empty());
}

TEST_CASE("the example config/gateway.yaml loads", "[config][loader][example]") {
    ::unsetenv("GATEWAY_LISTEN");
    ::unsetenv("DEMO_UPSTREAM_PORT");
    ::unsetenv("GATEWAY_ADMIN_TOKEN");
    ::unsetenv("GATEWAY_ADMIN_LISTEN");
    ::unsetenv("DEMO_UPSTREAM_HOST");
    ::unsetenv("DEMO_API_KEY");
    // This file is tests/unit/config/<name>.cpp; the example is config/gateway.yaml.
    auto root = std::filesystem::path(__FILE__).parent_path().parent_path().parent_path()
                    .parent_path();
    auto result = load_config((root / "config" / "gateway.yaml").string());
    INFO(joined(result.errors));
    REQUIRE(result.config);
    const Config& c = *result.config;
    CHECK(c.server.listen.at(0).str() == "0.0.0.0:8080");
    CHECK(c.admin.listen->str() == "127.0.0.1:9901");
    CHECK(c.admin.token.empty());
    REQUIRE(c.upstreams.size() == 1);
    CHECK(c.upstreams[0]->targets.at(0).host == "127.0.0.1");
    CHECK(c.upstreams[0]->targets.at(0).port == 9000);
    CHECK(c.routes.routes().size() == 5);
    const RouteSpec* private_route = find_route(c, "private");
    REQUIRE(private_route);
    CHECK(private_route->steps.size() == 3);  // ip, auth, allow
    CHECK(c.cache.max_bytes == 64u * 1024 * 1024);
    const RouteSpec* catalog = find_route(c, "demo-catalog");
    REQUIRE(catalog);
    REQUIRE_FALSE(catalog->steps.empty());
    const RouteSpec* demo = find_route(c, "demo");
    REQUIRE(demo);
    CHECK(demo->rewrite.strip_prefix == "/demo");
    const RouteSpec* item = find_route(c, "demo-item");
    REQUIRE(item);
    CHECK(item->rewrite.path == "/items/{id}");
    REQUIRE(item->steps.size() == 1);
    CHECK(item->steps[0]->name() == "rate_limit");
    REQUIRE(find_route(c, "sandbox-status"));
    CHECK(find_route(c, "sandbox-status")->respond->body == R"({"ok":true})");
}
