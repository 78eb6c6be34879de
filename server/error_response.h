// The gateway's own error answers, in the JSON shape of CONFIG.md:
// {"error":{"code":"...","message":"...","request_id":"..."}}. One table maps each error to its
// status, code and message, so clients never see internals.
#pragma once

#include <string>
#include <string_view>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace gw::server {

enum class GatewayError {
    bad_request,
    not_found,
    method_not_allowed,
    payload_too_large,
    header_too_large,
    request_timeout,
    upstream_unavailable,
    upstream_timeout,
    circuit_open,
    internal,
};

namespace http = boost::beast::http;

http::status status_of(GatewayError e);
std::string_view code_of(GatewayError e);

// A complete response with the JSON error body, for any status and code (the steps' replies).
http::response<http::string_body> make_error(http::status status, std::string_view code,
                                             std::string_view message,
                                             std::string_view request_id, unsigned version,
                                             bool keep_alive);

// A complete response with the JSON error body; message overrides the default text.
http::response<http::string_body> make_error(GatewayError e, std::string_view request_id,
                                             unsigned version, bool keep_alive,
                                             std::string_view message = {});

}  // namespace gw::server
