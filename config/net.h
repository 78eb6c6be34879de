// Addresses in the configuration: listen endpoints and CIDR ranges.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "config/types.h"

namespace gw::config {

// "host:port", "[v6]:port". Port 0 is allowed only when allow_port_zero (listeners: "pick a free
// port", which the tests use). On failure sets `error` to what was expected.
std::optional<Endpoint> parse_endpoint(std::string_view text, bool allow_port_zero,
                                       std::string& error);

// "10.0.0.0/8", "fd00::/8", or a bare address (/32 or /128). Host bits are cleared, so
// "10.1.2.3/8" means 10.0.0.0/8.
std::optional<Cidr> parse_cidr(std::string_view text, std::string& error);

}  // namespace gw::config
