// authenticators.<name> of type jwt and oauth2_introspection: compiled results, and each
// error with its file:line:col and key path.
#include <catch.hpp>

#include "config/token_authenticators.h"
#include "middleware/auth/introspection_authenticator.h"
#include "middleware/auth/jwt_authenticator.h"
#include "middleware/registry.h"
#include "../middleware/auth/token_minting.h"
#include "test_files.h"

using namespace gw::config;
namespace auth = gw::middleware::auth;
using gw::config::test::joined;
using gw::config::test::TempDir;

namespace {

struct Parsed {
    auth::AuthenticatorPtr authenticator;
    std::vector<std::string> errors;
    const auth::JwtAuthenticator* jwt() const {
        return dynamic_cast<const auth::JwtAuthenticator*>(authenticator.get());
    }
};

// Parses authenticators.a of `yaml` (file a.yaml in dir) with the given registry.
Parsed parse(const std::string& yaml, const TempDir& dir, gw::middleware::Registry& registry,
             bool jwt = true) {
    Errors errors;
    Context ctx{dir.path() + "/a.yaml", dir.path(), errors, &registry};
    YAML::Node root = YAML::Load(yaml);
    Value v{root["authenticators"]["a"], "authenticators.a"};
    Parsed p;
    p.authenticator = jwt ? parse_jwt_authenticator(ctx, v, "a")
                          : parse_introspection_authenticator(ctx, v, "a");
    p.errors = errors.lines();
    return p;
}

Parsed parse(const std::string& yaml, bool jwt = true) {
    TempDir dir;
    gw::middleware::Registry registry;
    return parse(yaml, dir, registry, jwt);
}

// The single error of parsing `yaml`, without the directory part of the file name.
std::string error_of(const std::string& yaml, bool jwt = true) {
    TempDir dir;
    gw::middleware::Registry registry;
    auto p = parse(yaml, dir, registry, jwt);
    INFO(joined(p.errors));
    CHECK(p.authenticator == nullptr);
    REQUIRE(p.errors.size() == 1);
    return p.errors[0].substr(dir.path().size() + 1);
}

const std::string kHead = "authenticators:\n  a:\n    type: jwt\n";

}  // namespace

TEST_CASE("jwt config: a JWKS authenticator with its defaults", "[config][jwt]") {
    auto p = parse(kHead + "    jwks_url: \"https://id.example.com/jwks\"\n"
                           "    issuer: \"https://id.example.com/\"\n"
                           "    audiences: orders\n");
    INFO(joined(p.errors));
    REQUIRE(p.jwt());
    const auto& c = p.jwt()->config();
    CHECK(c.algorithms == std::vector<auth::JwtAlg>{auth::JwtAlg::RS256});
    CHECK(c.rules.issuer == "https://id.example.com/");
    CHECK(c.rules.audiences == std::vector<std::string>{"orders"});
    CHECK(c.rules.leeway == std::chrono::seconds(30));
    REQUIRE(c.jwks);
    CHECK(c.jwks->options().refresh == std::chrono::minutes(5));
    CHECK(c.jwks->options().min_refresh == std::chrono::seconds(30));
    CHECK_FALSE(c.jwks->keys());  // nothing fetched while loading
}

TEST_CASE("jwt config: one key set per JWKS URL across loads", "[config][jwt]") {
    TempDir dir;
    gw::middleware::Registry registry;
    const std::string yaml = kHead + "    jwks_url: \"http://127.0.0.1:9/jwks\"\n"
                                     "    algorithms: [RS256, ES256, EdDSA]\n"
                                     "    jwks_refresh: 1m\n    jwks_min_refresh: 2s\n";
    auto a = parse(yaml, dir, registry);
    auto b = parse(yaml, dir, registry);
    REQUIRE(a.jwt());
    REQUIRE(b.jwt());
    CHECK(a.jwt()->config().jwks == b.jwt()->config().jwks);
    CHECK(a.jwt()->config().jwks->options().min_refresh == std::chrono::seconds(2));
    CHECK(a.jwt()->config().algorithms.size() == 3);
}

TEST_CASE("jwt config: secret and PEM keys", "[config][jwt]") {
    TempDir dir;
    gw::middleware::Registry registry;
    std::string secret(48, 'k');
    dir.write("secret.txt", secret + '\n');
    auto s = parse(kHead + "    secret_file: secret.txt\n    algorithms: [HS256, HS384]\n", dir,
                   registry);
    INFO(joined(s.errors));
    REQUIRE(s.jwt());
    CHECK(s.jwt()->config().fixed_keys->keys.at(0).secret == std::string(48, 'k'));
    dir.write("ec.pem", auth::test::public_pem(auth::test::p256_key().get()));
    auto e = parse(kHead + "    public_key_file: ec.pem\n", dir, registry);
    REQUIRE(e.jwt());
    CHECK(e.jwt()->config().algorithms == std::vector<auth::JwtAlg>{auth::JwtAlg::ES256});
}

TEST_CASE("jwt config: refused algorithms and key mismatches", "[config][jwt]") {
    CHECK(error_of(kHead + "    jwks_url: \"http://x/jwks\"\n    algorithms: [RS256, none]\n") ==
          "a.yaml:5:25: authenticators.a.algorithms[1]: 'none' is never accepted "
          "(unsigned tokens)");
    CHECK(error_of(kHead + "    jwks_url: \"http://x/jwks\"\n    algorithms: [RS255]\n") ==
          "a.yaml:5:18: authenticators.a.algorithms[0]: expected one of RS256, RS384, RS512, "
          "PS256, PS384, PS512, ES256, ES384, EdDSA, HS256, HS384, HS512, got 'RS255'");
    CHECK(error_of(kHead + "    jwks_url: \"http://x/jwks\"\n    algorithms: HS256\n") ==
          "a.yaml:5:17: authenticators.a.algorithms: HS256 needs a secret, not keys from "
          "jwks_url");
    CHECK(error_of(kHead + "    secret: \"" + std::string(40, 'x') +
                   "\"\n    algorithms: [RS256]\n") ==
          "a.yaml:5:18: authenticators.a.algorithms[0]: RS256 needs an RSA key, not the "
          "configured secret");
    CHECK(error_of(kHead + "    secret: short\n") ==
          "a.yaml:4:13: authenticators.a.secret: expected a secret of at least 32 bytes for "
          "the listed algorithms, got 5");
    CHECK(error_of(kHead + "    secret: \"" + std::string(40, 'x') +
                   "\"\n    algorithms: [HS512]\n").find("at least 64 bytes") !=
          std::string::npos);
}

TEST_CASE("jwt config: key sources, URLs and PEM files", "[config][jwt]") {
    CHECK(error_of(kHead + "    issuer: x\n") ==
          "a.yaml:3:5: authenticators.a: expected one of jwks_url, public_key(_file) or "
          "secret(_file)");
    CHECK(error_of(kHead + "    jwks_url: \"http://x/\"\n    secret: \"" +
                   std::string(40, 'x') + "\"\n") ==
          "a.yaml:3:5: authenticators.a: expected only one of jwks_url, public_key(_file) "
          "and secret(_file)");
    CHECK(error_of(kHead + "    jwks_url: \"ftp://x/jwks\"\n") ==
          "a.yaml:4:15: authenticators.a.jwks_url: expected an http:// or https:// URL, got "
          "'ftp://x/jwks'");
    CHECK(error_of(kHead + "    jwks_url: \"http://u:p@x/jwks\"\n") ==
          "a.yaml:4:15: authenticators.a.jwks_url: expected no credentials in the URL, got "
          "'http://u:p@x/jwks'");
    CHECK(error_of(kHead + "    jwks_url: \"http://x/\"\n    jwks_refresh: 10\n").find(
              "a.yaml:5:19: authenticators.a.jwks_refresh: expected a duration") == 0);
    CHECK(error_of(kHead + "    jwks_url: \"http://x/\"\n    audience: [a]\n").find(
              "a.yaml:5:5: authenticators.a.audience: unknown key") == 0);
    CHECK(error_of(kHead + "    public_key_file: nope.pem\n").find(
              "a.yaml:4:22: authenticators.a.public_key_file: cannot read 'nope.pem'") == 0);
    TempDir dir;
    gw::middleware::Registry registry;
    dir.write("bad.pem", "hello");
    auto p = parse(kHead + "    public_key_file: bad.pem\n", dir, registry);
    REQUIRE(p.errors.size() == 1);
    CHECK(p.errors[0] == dir.path() + "/a.yaml:4:22: authenticators.a.public_key_file: not a "
                                      "PEM public key or certificate");
    dir.write("rsa.pem", auth::test::public_pem(auth::test::rsa_key().get()));
    p = parse(kHead + "    public_key_file: rsa.pem\n    algorithms: [ES256]\n", dir, registry);
    REQUIRE(p.errors.size() == 1);
    CHECK(p.errors[0] == dir.path() + "/a.yaml:5:18: authenticators.a.algorithms[0]: ES256 "
                                      "needs an EC P-256 key, not the configured RSA key");
}

TEST_CASE("introspection config: required keys, URL, secret file", "[config][introspection]") {
    const std::string head = "authenticators:\n  a:\n    type: oauth2_introspection\n";
    TempDir dir;
    gw::middleware::Registry registry;
    dir.write("secret", "s3cret\n");
    auto ok = parse(head + "    url: \"http://127.0.0.1:9/introspect\"\n    client_id: gw\n"
                           "    client_secret_file: secret\n    cache: 10s\n",
                    dir, registry, false);
    INFO(joined(ok.errors));
    CHECK(dynamic_cast<const auth::IntrospectionAuthenticator*>(ok.authenticator.get()));
    Errors errors;
    Context ctx{"a.yaml", dir.path(), errors, &registry};
    YAML::Node root = YAML::Load(head + "    cache: 1\n");
    auto none = parse_introspection_authenticator(
        ctx, Value{root["authenticators"]["a"], "authenticators.a"}, "a");
    CHECK(none == nullptr);
    const auto& lines = errors.lines();
    INFO(joined(lines));
    REQUIRE(lines.size() == 4);
    CHECK(lines[0] == "a.yaml:3:5: authenticators.a.url: is required");
    CHECK(lines[1] == "a.yaml:3:5: authenticators.a.client_id: is required");
    CHECK(lines[2] == "a.yaml:3:5: authenticators.a.client_secret: is required");
    CHECK(lines[3].find("a.yaml:4:12: authenticators.a.cache: expected a duration") == 0);
    CHECK(error_of(head + "    url: \"/introspect\"\n    client_id: gw\n"
                          "    client_secret: x\n", false) ==
          "a.yaml:4:10: authenticators.a.url: expected an http:// or https:// URL, got "
          "'/introspect'");
}
