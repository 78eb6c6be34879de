// redis:// and rediss:// URLs, parsed once at load into RedisConfig's plain fields.
#pragma once

#include <string>
#include <string_view>

#include "config/types.h"

namespace gw::config {

// redis://[[user]:password@]host[:port][/db] or rediss://... (TLS). Fills host, port (6379),
// tls, username, password (percent-decoded) and db (0) of `out`. On failure returns false and
// sets `error` to what was expected; the message never repeats the URL, which may hold a
// password.
bool parse_redis_url(std::string_view text, RedisConfig& out, std::string& error);

}  // namespace gw::config
