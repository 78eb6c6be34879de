// The immutable compiled configuration. One snapshot is shared by all workers through
// std::shared_ptr<const Config>; reload builds a new one aside and swaps it in.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/types.h"
#include "routes/route_table.h"

namespace gw::middleware {
class Registry;
}

namespace gw::config {

struct Config {
    std::string source;  // path of the main file
    ServerConfig server;
    AdminConfig admin;
    LogConfig log;
    std::optional<RedisConfig> redis;  // the redis: section, when present
    CacheSettings cache;
    std::vector<std::shared_ptr<const Upstream>> upstreams;  // sorted by name
    routes::RouteTable routes;
};

struct LoadResult {
    std::shared_ptr<const Config> config;  // null when errors is not empty
    std::vector<std::string> errors;       // "file:line:col: key.path: what was expected"
};

// Loads the file, its includes, ${VAR} and *_file values, validates everything (certificate
// files included) and compiles the route table and the routes' steps, which keep their
// long-lived state in `registry` (a private one when null: --check, tests). Never throws.
LoadResult load_config(const std::string& path, middleware::Registry* registry = nullptr);

}  // namespace gw::config
