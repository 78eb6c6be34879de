// The token endpoint exchange: the request's form body and client authentication, and what
// each kind of answer yields (never the body or the token in an error).
#include <catch.hpp>

#include "middleware/oauth2_client/token_request.h"

using namespace gw::middleware::oauth2_client;
using gw::config::OAuth2Client;
using gw::server::FetchResponse;
using namespace std::chrono_literals;

namespace {

std::string header(const gw::server::FetchRequest& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) {
        if (k == name) return v;
    }
    return "<none>";
}

OAuth2Client settings() {
    OAuth2Client s;
    s.token_url = "https://auth.example.com/token";
    s.client_id = "gw id";
    s.client_secret = "s3cr:et/+%";
    return s;
}

FetchResponse answer(unsigned status, std::string body) {
    FetchResponse r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

}  // namespace

TEST_CASE("client_secret_basic: form-encoded id and secret in Basic", "[oauth2][token]") {
    auto s = settings();
    s.scopes = {"orders.read", "orders:write"};
    auto r = token_request(s, 7s);
    CHECK(r.method == "POST");
    CHECK(r.url == s.token_url);
    CHECK(r.timeout == 7s);
    CHECK(header(r, "content-type") == "application/x-www-form-urlencoded");
    // base64("gw%20id:s3cr%3Aet%2F%2B%25")
    CHECK(header(r, "authorization") == "Basic Z3clMjBpZDpzM2NyJTNBZXQlMkYlMkIlMjU=");
    CHECK(r.body == "grant_type=client_credentials&scope=orders.read%20orders%3Awrite");
    CHECK(r.body.find("s3cr") == std::string::npos);
}

TEST_CASE("client_secret_post: id and secret in the body", "[oauth2][token]") {
    auto s = settings();
    s.auth_method = OAuth2Client::AuthMethod::client_secret_post;
    s.audience = "https://api.example.com";
    auto r = token_request(s, 5s);
    CHECK(header(r, "authorization") == "<none>");
    CHECK(r.body == "grant_type=client_credentials&audience=https%3A%2F%2Fapi.example.com"
                    "&client_id=gw%20id&client_secret=s3cr%3Aet%2F%2B%25");
}

TEST_CASE("a token answer yields the token and its lifetime", "[oauth2][token]") {
    auto g = parse_token_response(
        answer(200, R"({"access_token":"tok-1","token_type":"bearer","expires_in":120})"));
    REQUIRE(g.grant);
    CHECK(g.grant->access_token == "tok-1");
    CHECK(g.grant->lifetime == 120s);

    g = parse_token_response(answer(200, R"({"access_token":"t","expires_in":"60"})"));
    REQUIRE(g.grant);
    CHECK(g.grant->lifetime == 60s);

    g = parse_token_response(answer(200, R"({"access_token":"t","token_type":"Bearer"})"));
    REQUIRE(g.grant);
    CHECK(g.grant->lifetime == kDefaultLifetime);

    g = parse_token_response(answer(200, R"({"access_token":"t","expires_in":1e12})"));
    REQUIRE(g.grant);
    CHECK(g.grant->lifetime == kMaxLifetime);
}

TEST_CASE("bad token answers are refused without echoing them", "[oauth2][token]") {
    struct Case {
        unsigned status;
        std::string body;
        std::string error;
    };
    const std::vector<Case> cases = {
        {401, R"({"error":"invalid_client","error_description":"secret hunter2 bad"})",
         "token endpoint answered 401 (invalid_client)"},
        {500, "hunter2", "token endpoint answered 500"},
        {400, R"({"error":"bad\"code hunter2"})", "token endpoint answered 400"},
        {200, "not json hunter2", "token endpoint answer is not a JSON object"},
        {200, R"({"token":"hunter2"})", "token endpoint answer has no usable access_token"},
        {200, R"({"access_token":"a b"})", "token endpoint answer has no usable access_token"},
        {200, R"({"access_token":"a\r\nx: y"})",
         "token endpoint answer has no usable access_token"},
        {200, R"({"access_token":"hunter2","token_type":"mac"})",
         "token endpoint answer has a token_type other than Bearer"},
        {200, R"({"access_token":"hunter2","expires_in":0})",
         "token endpoint answer has a bad expires_in"},
        {200, R"({"access_token":"hunter2","expires_in":"soon"})",
         "token endpoint answer has a bad expires_in"},
    };
    for (const auto& c : cases) {
        INFO(c.body);
        auto g = parse_token_response(answer(c.status, c.body));
        CHECK_FALSE(g.grant);
        CHECK(g.error == c.error);
        CHECK(g.error.find("hunter2") == std::string::npos);
    }
}
