// JWKS documents and PEM keys: what is kept, what is skipped, and key sets that are refused.
#include <catch.hpp>

#include "middleware/auth/base64url.h"
#include "middleware/auth/jwks.h"
#include "token_minting.h"

namespace gw::middleware::auth {

TEST_CASE("base64url: strict decoding", "[auth][base64url]") {
    for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xff\xfe\x00"}) {
        auto enc = base64url_encode(s);
        CHECK(enc.find('=') == std::string::npos);
        CHECK(base64url_decode(enc, 64) == s);
    }
    CHECK(base64url_encode("\xfb\xff") == "-_8");
    CHECK(base64url_decode("-_8", 8) == std::string("\xfb\xff"));
    CHECK_FALSE(base64url_decode("+/8", 8));       // standard alphabet
    CHECK_FALSE(base64url_decode("Zm8=", 8));      // padding
    CHECK_FALSE(base64url_decode("Zm9vY", 8));     // length % 4 == 1
    CHECK_FALSE(base64url_decode("Zm9 v", 8));     // whitespace
    CHECK_FALSE(base64url_decode("Zh", 8));        // non-zero trailing bits ("Zg" is "f")
    CHECK(base64url_decode("Zg", 8) == std::string("f"));
    CHECK_FALSE(base64url_decode("Zm9vYmFy", 5));  // over the cap
    CHECK(base64_encode("a:b") == "YTpi");
}

TEST_CASE("jwks: RSA, EC and OKP keys are read, by kid", "[auth][jwks]") {
    std::string why;
    auto set = parse_jwks(test::jwks_of({test::jwk_of(test::rsa_key().get(), "r", "RS256"),
                                         test::jwk_of(test::p256_key().get(), "e"),
                                         test::jwk_of(test::p384_key().get(), "e3"),
                                         test::jwk_of(test::ed25519_key().get(), "o")}),
                          why);
    INFO(why);
    REQUIRE(set);
    REQUIRE(set->keys.size() == 4);
    CHECK(set->keys[0].kind == KeyKind::rsa);
    CHECK(set->keys[0].alg == JwtAlg::RS256);
    CHECK(set->keys[1].kind == KeyKind::ec_p256);
    CHECK(set->keys[2].kind == KeyKind::ec_p384);
    CHECK(set->keys[3].kind == KeyKind::ed25519);
    CHECK(set->has_kid("e3"));
    CHECK_FALSE(set->has_kid("x"));
}

TEST_CASE("jwks: unusable keys are skipped, useless documents refused", "[auth][jwks]") {
    const std::string good = test::jwk_of(test::rsa_key().get(), "ok");
    auto ec = test::jwk_of(test::p256_key().get(), "bad-point");
    // Move y off the curve: flip its last base64url digit.
    auto y = ec.find("\"y\":\"") + 5;
    auto y_end = ec.find('"', y);
    ec[y_end - 1] = ec[y_end - 1] == 'A' ? 'E' : 'A';
    const std::string skipped[] = {
        R"({"kty":"oct","kid":"s","k":"c2VjcmV0"})",                  // symmetric: never
        test::jwk_of(test::make_rsa(1024).get(), "small"),           // RSA < 2048 bits
        test::jwk_of(test::rsa_key().get(), "enc", "RSA-OAEP"),      // unknown alg
        test::jwk_of(test::rsa_key().get(), "mismatch", "ES256"),    // alg of another kind
        R"({"kty":"RSA","kid":"x","use":"enc","n":"AQAB","e":"AQAB"})",
        R"({"kty":"RSA","kid":"x","n":"!!","e":"AQAB"})",
        R"({"kty":"EC","crv":"P-521","x":"AA","y":"AA"})",
        R"({"kty":"OKP","crv":"X25519","x":"AA"})",
        ec,
        R"("text")",
    };
    for (const auto& jwk : skipped) {
        INFO(jwk);
        std::string why;
        auto set = parse_jwks(test::jwks_of({jwk, good}), why);
        REQUIRE(set);
        REQUIRE(set->keys.size() == 1);
        CHECK(set->keys[0].kid == "ok");
        CHECK_FALSE(parse_jwks(test::jwks_of({jwk}), why));
        CHECK(why == "no usable signing key in the key set");
    }
    std::string why;
    CHECK_FALSE(parse_jwks("not json", why));
    CHECK(why == "not a JSON object");
    CHECK_FALSE(parse_jwks(R"({"keys":{}})", why));
    CHECK(why == "no \"keys\" array");
    CHECK_FALSE(parse_jwks(std::string(kMaxJwksBytes + 1, ' '), why));
}

TEST_CASE("pem: public keys and certificates; other kinds refused", "[auth][jwks]") {
    std::string why;
    auto key = parse_pem_key(test::public_pem(test::p384_key().get()), why);
    REQUIRE(key);
    CHECK(key->kind == KeyKind::ec_p384);
    CHECK_FALSE(parse_pem_key("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
                              why));
    CHECK(why == "not a PEM public key or certificate");
    CHECK_FALSE(parse_pem_key(test::public_pem(test::make_ec("P-521").get()), why));
    CHECK(why.find("expected an RSA key") == 0);
}

}  // namespace gw::middleware::auth
