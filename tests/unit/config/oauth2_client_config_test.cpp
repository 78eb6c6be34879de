// credentials of type oauth2_client_credentials: values read back, rejections with
// file:line:col, and the token source kept across loads only while its settings (and the
// secret) stay the same.
#include <catch.hpp>

#include "config/config.h"
#include "middleware/oauth2_client/token_source.h"
#include "middleware/registry.h"
#include "test_files.h"

using namespace gw::config;
using namespace std::chrono_literals;
using gw::config::test::has_error;
using gw::config::test::joined;
using gw::config::test::TempDir;

namespace {

// An upstream "partner" whose credentials mapping is `body` (indented by 6).
std::string config_with(const std::string& body) {
    return "upstreams:\n"
           "  partner:\n"
           "    targets: [{ url: \"http://127.0.0.1:1\" }]\n"
           "    credentials:\n"
           "      type: oauth2_client_credentials\n" +
           body;
}

LoadResult load_text(const TempDir& dir, const std::string& yaml, std::string& file,
                     gw::middleware::Registry* registry = nullptr) {
    file = dir.write("gateway.yaml", yaml);
    return load_config(file, registry);
}

const Credentials& partner(const LoadResult& r) {
    REQUIRE(r.config);
    REQUIRE(r.config->upstreams.size() == 1);
    return r.config->upstreams[0]->credentials;
}

}  // namespace

TEST_CASE("oauth2 client credentials are read with their defaults", "[config][oauth2]") {
    TempDir dir;
    dir.write("secret", "s3cr:et/+%\n");
    std::string f;
    auto r = load_text(dir, config_with("      token_url: \"http://127.0.0.1:2/oauth/token\"\n"
                                        "      client_id: gw\n"
                                        "      client_secret_file: secret\n"),
                       f);
    INFO(joined(r.errors));
    const auto& c = partner(r);
    CHECK(c.type == Credentials::Type::oauth2);
    REQUIRE(c.token_source);
    const auto& s = c.token_source->settings();
    CHECK(s.token_url == "http://127.0.0.1:2/oauth/token");
    CHECK(s.client_id == "gw");
    CHECK(s.client_secret == "s3cr:et/+%");  // the file's final newline is not part of it
    CHECK(s.scopes.empty());
    CHECK(s.audience.empty());
    CHECK(s.auth_method == OAuth2Client::AuthMethod::client_secret_basic);
    CHECK_FALSE(s.refresh_before);
}

TEST_CASE("oauth2 client credentials: every key", "[config][oauth2]") {
    TempDir dir;
    auto [crt, key] = dir.write_cert("ca");
    std::string f;
    auto r = load_text(dir, config_with("      token_url: \"https://auth.example.com/token\"\n"
                                        "      client_id: \"${GW_TEST_OAUTH_ID:-gw-id}\"\n"
                                        "      client_secret: abc\n"
                                        "      scopes: [orders.read, \"orders:write\"]\n"
                                        "      audience: https://api.example.com\n"
                                        "      auth_method: client_secret_post\n"
                                        "      refresh_before: 1m\n"
                                        "      tls: { ca_file: ca.crt, sni: auth.internal }\n"),
                       f);
    INFO(joined(r.errors));
    const auto& s = partner(r).token_source->settings();
    CHECK(s.client_id == "gw-id");
    CHECK(s.scopes == std::vector<std::string>{"orders.read", "orders:write"});
    CHECK(s.audience == "https://api.example.com");
    CHECK(s.auth_method == OAuth2Client::AuthMethod::client_secret_post);
    CHECK(s.refresh_before == std::optional<Duration>(1min));
    CHECK(s.tls.ca_file == crt);
    CHECK(s.tls.sni == "auth.internal");
}

TEST_CASE("oauth2 client credentials: missing keys", "[config][oauth2]") {
    TempDir dir;
    std::string f;
    auto r = load_text(dir, config_with("      scopes: [a]\n"), f);
    INFO(joined(r.errors));
    CHECK(r.config == nullptr);
    REQUIRE(r.errors.size() == 3);
    CHECK(has_error(r, f + ":5:7: upstreams.partner.credentials.token_url: is required"));
    CHECK(has_error(r, f + ":5:7: upstreams.partner.credentials.client_id: is required"));
    CHECK(has_error(r, f + ":5:7: upstreams.partner.credentials.client_secret: is required"));
}

TEST_CASE("oauth2 client credentials: bad values name file:line:col", "[config][oauth2]") {
    TempDir dir;
    std::string f;
    auto r = load_text(dir, config_with("      token_url: \"ftp://auth.example.com/token\"\n"
                                        "      client_id: \"\"\n"
                                        "      client_secret: x\n"
                                        "      scopes: [\"two words\"]\n"
                                        "      auth_method: client_secret_jwt\n"
                                        "      refresh_before: 30\n"
                                        "      tls: { verify: false }\n"
                                        "      scope: [x]\n"),
                       f);
    INFO(joined(r.errors));
    CHECK(r.config == nullptr);
    const std::string p = f + ":";
    const std::string k = "upstreams.partner.credentials.";
    CHECK(has_error(r, p + "6:18: " + k + "token_url: expected an http:// or https:// URL, "
                                          "got 'ftp://auth.example.com/token'"));
    CHECK(has_error(r, p + "7:18: " + k + "client_id: must not be empty"));
    CHECK(has_error(r, p + "9:16: " + k + "scopes[0]: expected a scope (printable, no spaces, "
                                          "quotes or backslashes), got 'two words'"));
    CHECK(has_error(r, p + "10:20: " + k + "auth_method: expected client_secret_basic | "
                                           "client_secret_post, got 'client_secret_jwt'"));
    CHECK(has_error(r, p + "11:23: " + k + "refresh_before: expected a duration like 250ms, "
                                           "5s, 10m or 1h, got '30'"));
    CHECK(has_error(r, p + "13:7: " + k + "scope: unknown key (did you mean 'scopes'?)"));
    // tls: is only checked against an accepted token_url.
    CHECK(r.errors.size() == 6);
}

TEST_CASE("oauth2 client credentials: tls needs https, URLs hide their userinfo",
          "[config][oauth2]") {
    TempDir dir;
    std::string f;
    auto r = load_text(dir, config_with("      token_url: \"http://auth.example.com/token\"\n"
                                        "      client_id: gw\n"
                                        "      client_secret: x\n"
                                        "      tls: { verify: false }\n"),
                       f);
    INFO(joined(r.errors));
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0] ==
          f + ":9:12: upstreams.partner.credentials.tls: only for an https:// token_url");

    r = load_text(dir, config_with("      token_url: \"https://gw:hunter2@auth.example.com/\"\n"
                                   "      client_id: gw\n"
                                   "      client_secret: x\n"),
                  f);
    INFO(joined(r.errors));
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0] == f + ":6:18: upstreams.partner.credentials.token_url: put the client's "
                             "credentials under client_id and client_secret, not in the URL");
    CHECK(r.errors[0].find("hunter2") == std::string::npos);
}

TEST_CASE("a missing secret file is an error naming the key", "[config][oauth2]") {
    TempDir dir;
    std::string f;
    auto r = load_text(dir, config_with("      token_url: \"http://127.0.0.1:2/token\"\n"
                                        "      client_id: gw\n"
                                        "      client_secret_file: nowhere\n"),
                       f);
    INFO(joined(r.errors));
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0] == f + ":8:27: upstreams.partner.credentials.client_secret_file: cannot "
                             "read 'nowhere': No such file or directory");
}

TEST_CASE("a reload keeps the token source unless a setting or the secret changed",
          "[config][oauth2]") {
    TempDir dir;
    gw::middleware::Registry registry;
    dir.write("secret", "one\n");
    const std::string yaml = config_with("      token_url: \"http://127.0.0.1:2/token\"\n"
                                         "      client_id: gw\n"
                                         "      client_secret_file: secret\n"
                                         "      scopes: [a]\n");
    std::string f;
    auto first = load_text(dir, yaml, f, &registry);
    auto same = load_text(dir, yaml, f, &registry);
    INFO(joined(first.errors) + joined(same.errors));
    auto source = partner(first).token_source;
    CHECK(partner(same).token_source == source);

    dir.write("secret", "two\n");  // rotated
    auto rotated = load_text(dir, yaml, f, &registry);
    CHECK(partner(rotated).token_source != source);
    CHECK(partner(rotated).token_source->settings().client_secret == "two");

    auto other_scope = load_text(dir, config_with("      token_url: \"http://127.0.0.1:2/token\"\n"
                                                  "      client_id: gw\n"
                                                  "      client_secret_file: secret\n"
                                                  "      scopes: [b]\n"),
                                 f, &registry);
    CHECK(partner(other_scope).token_source != partner(rotated).token_source);
}
