// The jwt authenticator with fixed keys: every algorithm with a token signed by OpenSSL in the
// test, and the attacks: alg none, an algorithm not listed, RS/HS confusion, tampering,
// unknown kid, time and identity claims, and malformed tokens of every shape.
#include <catch.hpp>

#include "token_auth_test_util.h"
#include "middleware/auth/jwt_authenticator.h"
#include "token_minting.h"

namespace gw::middleware::auth {
namespace {

using test::authenticate_bearer;
using test::sign_jwt;
using Status = AuthResult::Status;

constexpr std::int64_t kNow = 1'700'000'000;
const std::string kSecret(64, 's');

std::string claims(std::int64_t exp = kNow + 600, const std::string& extra = "") {
    return "{\"iss\":\"https://id.example.com/\",\"aud\":\"orders\",\"sub\":\"alice\","
           "\"exp\":" + std::to_string(exp) + extra + "}";
}

JwtKey asym(const PkeyPtr& pkey, std::string kid = "k1") {
    JwtKey k;
    k.kid = std::move(kid);
    k.kind = *kind_of(pkey.get());
    k.pkey = pkey;
    return k;
}

JwtKey secret_key(std::string secret = kSecret) {
    JwtKey k;
    k.kind = KeyKind::secret;
    k.secret = std::move(secret);
    return k;
}

JwtAuthenticator make(std::vector<JwtAlg> algs, std::vector<JwtKey> keys) {
    JwtConfig c;
    c.name = "idp";
    c.algorithms = std::move(algs);
    c.rules.issuer = "https://id.example.com/";
    c.rules.audiences = {"orders"};
    c.rules.leeway = std::chrono::seconds(30);
    auto set = std::make_shared<KeySet>();
    set->keys = std::move(keys);
    c.fixed_keys = std::move(set);
    c.clock = [] { return kNow; };
    return JwtAuthenticator(std::move(c));
}

void require_refused(const AuthResult& r, std::string_view code = "invalid_token") {
    INFO(r.message);
    REQUIRE(r.status == Status::failed);
    CHECK(r.code == code);
}

}  // namespace

TEST_CASE("jwt: every algorithm verifies a token signed with its key", "[auth][jwt]") {
    struct Case {
        const char* alg;
        const PkeyPtr* key;
    };
    const Case cases[] = {
        {"RS256", &test::rsa_key()},   {"RS384", &test::rsa_key()},
        {"RS512", &test::rsa_key()},   {"PS256", &test::rsa_key()},
        {"PS384", &test::rsa_key()},   {"PS512", &test::rsa_key()},
        {"ES256", &test::p256_key()},  {"ES384", &test::p384_key()},
        {"EdDSA", &test::ed25519_key()},
    };
    for (const auto& c : cases) {
        INFO(c.alg);
        auto alg = *parse_jwt_alg(c.alg);
        auto a = make({alg}, {asym(*c.key)});
        auto r = authenticate_bearer(a, sign_jwt(c.alg, claims(), c.key->get(), "k1"));
        INFO(r.message);
        REQUIRE(r.status == Status::ok);
        CHECK(r.subject == "alice");
        // The same token with one payload byte changed no longer verifies.
        auto token = sign_jwt(c.alg, claims(kNow + 601), c.key->get(), "k1");
        auto good = sign_jwt(c.alg, claims(), c.key->get(), "k1");
        auto forged = good.substr(0, good.find('.')) + token.substr(token.find('.'),
                          token.rfind('.') - token.find('.')) + good.substr(good.rfind('.'));
        require_refused(authenticate_bearer(a, forged));
    }
    for (const char* alg : {"HS256", "HS384", "HS512"}) {
        INFO(alg);
        auto a = make({*parse_jwt_alg(alg)}, {secret_key()});
        auto r = authenticate_bearer(a, sign_jwt(alg, claims(), nullptr, "", kSecret));
        CHECK(r.status == Status::ok);
        require_refused(authenticate_bearer(
            a, sign_jwt(alg, claims(), nullptr, "", std::string(64, 'x'))));
    }
}

TEST_CASE("jwt: alg none and algorithms not listed are refused", "[auth][jwt]") {
    auto a = make({JwtAlg::RS256}, {asym(test::rsa_key())});
    auto none = sign_jwt("none", claims(), nullptr, "k1");
    require_refused(authenticate_bearer(a, none));
    require_refused(authenticate_bearer(a, none.substr(0, none.rfind('.') + 1)));
    for (const char* alg : {"None", "NONE", "rs256", ""}) {
        INFO(alg);
        std::string header = std::string("{\"alg\":\"") + alg + "\",\"kid\":\"k1\"}";
        require_refused(authenticate_bearer(
            a, sign_jwt("RS256", claims(), test::rsa_key().get(), "", "", header)));
    }
    // A valid RS384 signature by the right key, but the authenticator lists only RS256.
    auto r = authenticate_bearer(a, sign_jwt("RS384", claims(), test::rsa_key().get(), "k1"));
    require_refused(r);
    CHECK(r.message == "token algorithm is not accepted");
}

TEST_CASE("jwt: RS/HS confusion (HMAC keyed with the RSA public key) is refused",
          "[auth][jwt]") {
    // Even an authenticator that lists both families never checks an HS256 token against
    // the RSA key's bytes: the key kind must match the algorithm.
    auto pem = test::public_pem(test::rsa_key().get());
    auto a = make({JwtAlg::RS256, JwtAlg::HS256}, {asym(test::rsa_key(), "")});
    auto forged = sign_jwt("HS256", claims(), nullptr, "", pem);
    require_refused(authenticate_bearer(a, forged));
    // Likewise an ES256 header on an RSA signature, and an RS256 header on an EC key.
    auto ec = make({JwtAlg::ES256, JwtAlg::RS256}, {asym(test::p256_key())});
    require_refused(authenticate_bearer(
        ec, sign_jwt("RS256", claims(), test::rsa_key().get(), "k1")));
}

TEST_CASE("jwt: kid selects the key; an unknown kid is refused", "[auth][jwt]") {
    auto a = make({JwtAlg::RS256}, {asym(test::rsa_key(), "a"), asym(test::rsa_key2(), "b")});
    CHECK(authenticate_bearer(a, sign_jwt("RS256", claims(), test::rsa_key2().get(), "b"))
              .status == Status::ok);
    // Signed by key b but naming key a.
    require_refused(authenticate_bearer(
        a, sign_jwt("RS256", claims(), test::rsa_key2().get(), "a")));
    auto r = authenticate_bearer(a, sign_jwt("RS256", claims(), test::rsa_key().get(), "zz"));
    require_refused(r);
    CHECK(r.message == "token key id is not known");
    // Without a kid, the keys of the right kind are tried.
    CHECK(authenticate_bearer(a, sign_jwt("RS256", claims(), test::rsa_key2().get()))
              .status == Status::ok);
}

TEST_CASE("jwt: exp and nbf with leeway", "[auth][jwt]") {
    auto a = make({JwtAlg::ES256}, {asym(test::p256_key())});
    auto token = [](std::int64_t exp, const std::string& extra = "") {
        return sign_jwt("ES256", claims(exp, extra), test::p256_key().get(), "k1");
    };
    CHECK(authenticate_bearer(a, token(kNow - 29)).status == Status::ok);  // within leeway
    require_refused(authenticate_bearer(a, token(kNow - 30)), "token_expired");
    require_refused(authenticate_bearer(a, token(kNow - 100000)), "token_expired");
    CHECK(authenticate_bearer(a, token(kNow + 60, ",\"nbf\":" + std::to_string(kNow + 30)))
              .status == Status::ok);
    require_refused(authenticate_bearer(a, token(kNow + 60, ",\"nbf\":" +
                                                                std::to_string(kNow + 31))));
    require_refused(authenticate_bearer(a, token(kNow + 60, ",\"nbf\":\"soon\"")));
    auto no_exp = sign_jwt("ES256", "{\"iss\":\"https://id.example.com/\",\"aud\":\"orders\"}",
                           test::p256_key().get(), "k1");
    require_refused(authenticate_bearer(a, no_exp));
    auto str_exp = sign_jwt("ES256", "{\"exp\":\"1\"}", test::p256_key().get(), "k1");
    require_refused(authenticate_bearer(a, str_exp));
}

TEST_CASE("jwt: issuer, audience, subject and scopes", "[auth][jwt]") {
    auto a = make({JwtAlg::EdDSA}, {asym(test::ed25519_key())});
    auto token = [](const std::string& payload) {
        return sign_jwt("EdDSA", payload, test::ed25519_key().get(), "k1");
    };
    const std::string exp = ",\"exp\":" + std::to_string(kNow + 60);
    require_refused(authenticate_bearer(
        a, token("{\"iss\":\"https://evil.example.com/\",\"aud\":\"orders\"" + exp + "}")));
    require_refused(authenticate_bearer(a, token("{\"aud\":\"orders\"" + exp + "}")));
    require_refused(authenticate_bearer(
        a, token("{\"iss\":\"https://id.example.com/\",\"aud\":\"billing\"" + exp + "}")));
    require_refused(authenticate_bearer(
        a, token("{\"iss\":\"https://id.example.com/\",\"aud\":[\"a\",1]" + exp + "}")));
    auto r = authenticate_bearer(
        a, token("{\"iss\":\"https://id.example.com/\",\"aud\":[\"billing\",\"orders\"],"
                 "\"sub\":\"svc\",\"scope\":\"orders:read  orders:write\"" + exp + "}"));
    REQUIRE(r.status == Status::ok);
    CHECK(r.subject == "svc");
    CHECK(r.scopes == std::vector<std::string>{"orders:read", "orders:write"});
    r = authenticate_bearer(a, token("{\"iss\":\"https://id.example.com/\",\"aud\":\"orders\","
                                     "\"scp\":[\"a\",\"b\",3]" + exp + "}"));
    REQUIRE(r.status == Status::ok);
    CHECK(r.scopes == std::vector<std::string>{"a", "b"});
}

TEST_CASE("jwt: malformed tokens get invalid_token, never a crash", "[auth][jwt]") {
    auto a = make({JwtAlg::RS256}, {asym(test::rsa_key())});
    auto good = sign_jwt("RS256", claims(), test::rsa_key().get(), "k1");
    const std::string bad[] = {
        "",
        "abc",
        "a.b",
        "a.b.c.d",
        good.substr(0, good.size() / 2),                     // truncated
        good.substr(0, good.rfind('.')),                     // no signature part
        good + "x",                                          // signature with a stray digit
        "!!!." + good.substr(good.find('.') + 1),            // bad base64 header
        good.substr(0, good.find('.') + 1) + "e30=." + "AA", // padding in the payload
        test::sign_jwt("RS256", "[1,2]", test::rsa_key().get(), "k1"),        // payload array
        test::sign_jwt("RS256", "{\"exp\":1", test::rsa_key().get(), "k1"),   // bad JSON
        test::sign_jwt("RS256", claims() + "x", test::rsa_key().get(), "k1"), // trailing junk
        test::sign_jwt("RS256", claims(), test::rsa_key().get(), "", "", "{\"alg\":5}"),
        test::sign_jwt("RS256", claims(), test::rsa_key().get(), "", "",
                       "{\"alg\":\"RS256\",\"crit\":[\"x\"]}"),
        test::sign_jwt("RS256", std::string(2500, '[') + std::string(2500, ']'),
                       test::rsa_key().get(), "k1"),  // deep nesting, within the size cap
        std::string(60000, 'A') + "." + std::string(10, 'A') + ".AA",  // huge
        std::string("\x00\xff.\x01.\x02", 7),
    };
    for (const auto& t : bad) {
        INFO(t.substr(0, 80));
        require_refused(authenticate_bearer(a, t));
    }
    // ES256 with a signature of the wrong length.
    auto ec = make({JwtAlg::ES256}, {asym(test::p256_key())});
    auto es = sign_jwt("ES256", claims(), test::p256_key().get(), "k1");
    require_refused(authenticate_bearer(ec, es.substr(0, es.size() - 4)));
}

TEST_CASE("jwt: other schemes are absent; the credential is stripped", "[auth][jwt]") {
    auto a = make({JwtAlg::RS256}, {asym(test::rsa_key())});
    boost::asio::io_context ioc;
    RequestHead req;
    CHECK(test::authenticate(a, req, ioc).status == Status::absent);
    req.set(boost::beast::http::field::authorization, "Basic YTpi");
    CHECK(test::authenticate(a, req, ioc).status == Status::absent);
    std::string query;
    a.strip_credential(req, query);
    CHECK(req[boost::beast::http::field::authorization] == "Basic YTpi");
    req.set(boost::beast::http::field::authorization,
            "bearer " + sign_jwt("RS256", claims(), test::rsa_key().get(), "k1"));
    CHECK(test::authenticate(a, req, ioc).status == Status::ok);
    a.strip_credential(req, query);
    CHECK(req.count(boost::beast::http::field::authorization) == 0);
}

}  // namespace gw::middleware::auth
