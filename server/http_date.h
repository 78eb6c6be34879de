// HTTP-date (RFC 9110 5.6.7): read by the cache (Expires, Date, If-Modified-Since) and by
// retries (Retry-After).
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace gw::server {

using SystemTime = std::chrono::system_clock::time_point;

// An HTTP-date (IMF-fixdate, or the obsolete RFC 850 and asctime forms); nullopt if invalid.
// Dates are clamped to about 1824..2116, so that one minus another fits system_clock.
std::optional<SystemTime> parse_http_date(std::string_view text);

}  // namespace gw::server
