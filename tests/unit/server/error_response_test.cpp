#include <catch.hpp>

#include "server/error_response.h"

using namespace gw::server;

TEST_CASE("error responses have the JSON shape and status", "[errors]") {
    auto res = make_error(GatewayError::upstream_timeout, "rid-1", 11, true);
    CHECK(res.result_int() == 504);
    CHECK(res.body() ==
          "{\"error\":{\"code\":\"upstream_timeout\",\"message\":\"the upstream did not answer "
          "in time\",\"request_id\":\"rid-1\"}}");
    CHECK(res[http::field::content_type] == "application/json");
    CHECK(res["x-request-id"] == "rid-1");
    CHECK(res.keep_alive());
    CHECK(res[http::field::content_length] == std::to_string(res.body().size()));
}

TEST_CASE("each gateway error maps to its status and code", "[errors]") {
    CHECK(status_of(GatewayError::not_found) == http::status::not_found);
    CHECK(code_of(GatewayError::not_found) == "no_route");
    CHECK(status_of(GatewayError::upstream_unavailable) == http::status::bad_gateway);
    CHECK(code_of(GatewayError::upstream_unavailable) == "upstream_unavailable");
    CHECK(status_of(GatewayError::header_too_large) ==
          http::status::request_header_fields_too_large);
    CHECK(status_of(GatewayError::payload_too_large) == http::status::payload_too_large);
    CHECK(status_of(GatewayError::method_not_allowed) == http::status::method_not_allowed);
}

TEST_CASE("messages are JSON-escaped and connection close is set", "[errors]") {
    auto res = make_error(GatewayError::bad_request, "r\"1", 10, false, "bad \"thing\"\n");
    CHECK(res.body().find("bad \\\"thing\\\"\\n") != std::string::npos);
    CHECK(res.body().find("r\\\"1") != std::string::npos);
    CHECK_FALSE(res.keep_alive());
}
