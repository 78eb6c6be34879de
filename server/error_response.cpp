#include "server/error_response.h"

#include "server/log.h"

namespace gw::server {
namespace {
struct ErrorInfo {
    http::status status;
    std::string_view code;
    std::string_view message;
};

ErrorInfo info(GatewayError e) {
    switch (e) {
        case GatewayError::bad_request:
            return {http::status::bad_request, "bad_request", "malformed request"};
        case GatewayError::not_found:
            return {http::status::not_found, "no_route", "no route matches this request"};
        case GatewayError::method_not_allowed:
            return {http::status::method_not_allowed, "method_not_allowed",
                    "method not allowed on this route"};
        case GatewayError::payload_too_large:
            return {http::status::payload_too_large, "payload_too_large",
                    "request body exceeds the limit"};
        case GatewayError::header_too_large:
            return {http::status::request_header_fields_too_large, "header_too_large",
                    "request head exceeds the limit"};
        case GatewayError::request_timeout:
            return {http::status::request_timeout, "request_timeout",
                    "request not received in time"};
        case GatewayError::upstream_unavailable:
            return {http::status::bad_gateway, "upstream_unavailable",
                    "the upstream could not be reached"};
        case GatewayError::upstream_timeout:
            return {http::status::gateway_timeout, "upstream_timeout",
                    "the upstream did not answer in time"};
        case GatewayError::circuit_open:
            return {http::status::service_unavailable, "circuit_open",
                    "the upstream is failing; try again later"};
        case GatewayError::internal:
            return {http::status::internal_server_error, "internal", "internal error"};
    }
    return {http::status::internal_server_error, "internal", "internal error"};
}
}  // namespace

http::status status_of(GatewayError e) { return info(e).status; }
std::string_view code_of(GatewayError e) { return info(e).code; }

http::response<http::string_body> make_error(http::status status, std::string_view code,
                                             std::string_view message,
                                             std::string_view request_id, unsigned version,
                                             bool keep_alive) {
    http::response<http::string_body> res{status, version};
    std::string& body = res.body();
    body.reserve(96 + request_id.size() + message.size());
    body += "{\"error\":{\"code\":\"";
    log::append_json_escaped(body, code);
    body += "\",\"message\":\"";
    log::append_json_escaped(body, message);
    body += "\",\"request_id\":\"";
    log::append_json_escaped(body, request_id);
    body += "\"}}";
    res.set(http::field::content_type, "application/json");
    if (!request_id.empty()) res.set("x-request-id", request_id);
    res.keep_alive(keep_alive);
    res.prepare_payload();
    return res;
}

http::response<http::string_body> make_error(GatewayError e, std::string_view request_id,
                                             unsigned version, bool keep_alive,
                                             std::string_view message) {
    ErrorInfo i = info(e);
    return make_error(i.status, i.code, message.empty() ? i.message : message, request_id,
                      version, keep_alive);
}

}  // namespace gw::server
