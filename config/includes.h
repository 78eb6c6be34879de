// The set of YAML files that make one configuration: the main file and, recursively, the files
// its `include:` patterns name. Top-level keys are checked here, once per file.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/errors.h"
#include "config/node_reader.h"

namespace gw::config {

struct Document {
    std::string file;  // as given or as globbed: this is the name errors show
    std::string dir;
    bool main = false;
    // Top-level sections present in this file (server/admin/log/redis/cache only in the main
    // file).
    std::optional<Value> server, admin, log, redis, cache;
    std::optional<Value> upstreams, consumers, authenticators, routes;

    Context context(Errors& errors, middleware::Registry* registry = nullptr,
                    const RedisConfig* redis = nullptr) const {
        return Context{file, dir, errors, registry, redis};
    }
};

// The main file first, then included files in include order (each pattern's matches sorted, as
// glob(3) returns them). A file reached twice is read once, which also stops include cycles.
// Returns an empty list when the main file cannot be read or parsed.
std::vector<Document> load_documents(const std::string& path, Errors& errors);

}  // namespace gw::config
