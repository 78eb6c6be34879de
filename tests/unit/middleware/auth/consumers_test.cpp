// The consumers table and the api_key authenticator: digest lookup, sha256: keys, rotation,
// header and query sources, and what goes upstream.
#include <catch.hpp>

#include "auth_test_util.h"
#include "middleware/auth/api_key_authenticator.h"
#include "middleware/auth/query_param.h"

namespace gw::middleware::auth {
using test::sample_consumers;

TEST_CASE("digests: sha256 of a known text and hex parsing", "[auth][consumers]") {
    auto d = sha256("test");
    auto hex = digest_from_hex("9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08");
    REQUIRE(hex);
    CHECK(digest_equal(d, *hex));
    CHECK_FALSE(digest_from_hex("9f86"));
    CHECK_FALSE(digest_from_hex(std::string(63, 'a') + "g"));
    CHECK_FALSE(digest_equal(d, sha256("test ")));
}

TEST_CASE("consumer lookup by key, subject and name", "[auth][consumers]") {
    auto table = sample_consumers();
    REQUIRE(table->by_key("billing-key-old-0123456789"));
    CHECK(table->by_key("billing-key-old-0123456789")->name == "billing");
    // Rotation: both keys of a consumer are valid at once.
    CHECK(table->by_key("billing-key-new-0123456789")->name == "billing");
    // A sha256: key matches the plain key it is the digest of.
    REQUIRE(table->by_key("test"));
    CHECK(table->by_key("test")->name == "ops");
    CHECK(table->by_key("billing-key-old-012345678") == nullptr);
    CHECK(table->by_key("") == nullptr);
    CHECK(table->by_subject("mobile-sub")->name == "mobile");
    CHECK(table->by_subject("") == nullptr);
    CHECK(table->by_subject("nobody") == nullptr);
    CHECK(table->by_name("ops")->groups == std::vector<std::string>{"internal", "admins"});
    CHECK(table->by_name("opz") == nullptr);
}

TEST_CASE("query parameters: find counts, decodes names, removal keeps the rest",
          "[auth][query]") {
    auto p = find_query_param("a=1&api_key=k%2B1&b=2", "api_key");
    CHECK(p.count == 1);
    CHECK(p.raw == "k%2B1");
    CHECK(find_query_param("api%5Fkey=x", "api_key").count == 1);
    CHECK(find_query_param("api_key=x&api_key=y", "api_key").count == 2);
    CHECK(find_query_param("api_keyx=1", "api_key").count == 0);
    CHECK(find_query_param("", "api_key").count == 0);
    std::string q = "a=1&api_key=x&b=2&api_key=y";
    remove_query_param(q, "api_key");
    CHECK(q == "a=1&b=2");
    q = "api_key=x";
    remove_query_param(q, "api_key");
    CHECK(q.empty());
}

TEST_CASE("api_key in a header", "[auth][api_key]") {
    ApiKeyAuthenticator keys("keys", ApiKeyAuthenticator::Source::header, "x-api-key",
                             sample_consumers());
    RequestHead req;
    CHECK(keys.check("", req).status == AuthResult::Status::absent);
    req.set("x-api-key", "billing-key-new-0123456789");
    auto ok = keys.check("", req);
    CHECK(ok.status == AuthResult::Status::ok);
    CHECK(ok.consumer == "billing");
    req.set("x-api-key", "wrong-key-0123456789");
    auto bad = keys.check("", req);
    CHECK(bad.status == AuthResult::Status::failed);
    CHECK(bad.code == "invalid_credentials");
    CHECK(bad.message.find("wrong") == std::string::npos);  // never echoes the key
    req.set("x-api-key", std::string(15000, 'k'));
    CHECK(keys.check("", req).status == AuthResult::Status::failed);
    req.set("x-api-key", "");
    CHECK(keys.check("", req).status == AuthResult::Status::failed);
    req.set("x-api-key", "billing-key-new-0123456789");
    req.insert("x-api-key", "billing-key-old-0123456789");
    CHECK(keys.check("", req).status == AuthResult::Status::failed);  // two keys: ambiguous
    std::string query = "a=1";
    keys.strip_credential(req, query);
    CHECK(req.count("x-api-key") == 0);
    CHECK(query == "a=1");
    CHECK(keys.challenge() == "ApiKey realm=\"gateway\", header=\"x-api-key\"");
}

TEST_CASE("api_key in the query", "[auth][api_key]") {
    ApiKeyAuthenticator keys("keys", ApiKeyAuthenticator::Source::query, "api_key",
                             sample_consumers());
    RequestHead req;
    CHECK(keys.check("x=1", req).status == AuthResult::Status::absent);
    CHECK(keys.check("x=1&api_key=billing-key-old-0123456789", req).consumer == "billing");
    // Percent-encoded key bytes are decoded before the lookup.
    CHECK(keys.check("api_key=%74est", req).consumer == "ops");
    CHECK(keys.check("api_key=nope-nope-nope-nope", req).status == AuthResult::Status::failed);
    CHECK(keys.check("api_key=a&api_key=b", req).status == AuthResult::Status::failed);
    CHECK(keys.check("api_key=" + std::string(5000, '%'), req).status ==
          AuthResult::Status::failed);
    std::string query = "x=1&api_key=test&y=2";
    keys.strip_credential(req, query);
    CHECK(query == "x=1&y=2");
}

}  // namespace gw::middleware::auth
