// The header lines of a respond: route's answer, rendered once at load: the route's headers
// with its response header rules applied (remove, then set, as middleware::apply_header_ops
// does to a message), then Content-Length. The session sends them as they are when no step
// adds a header (server/session.cpp respond_locally), instead of building the same fields for
// every request.
#pragma once

#include <string>

#include "config/types.h"

namespace gw::config {

// "name: value\r\n" lines. Left out, as the gateway writes its own: Connection, X-Request-Id,
// and (when the status has a body) Content-Length and Transfer-Encoding.
std::string render_respond_lines(const Respond& respond, const HeaderOps& rules);

}  // namespace gw::config
