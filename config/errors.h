// Error collection for one configuration load. The loader never stops at the first problem:
// every section parser appends what it finds here so that `gateway --check` can show them all at
// once. Each line reads "file:line:col: key.path: message". Owned by one load on one thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/types.h"

namespace gw::middleware {
class Registry;
}

namespace gw::config {

class Errors {
public:
    // "file:line:col: key.path: message"; the key path is left out when empty.
    void add(const SourceMark& mark, std::string_view key_path, std::string_view message);
    // An error with no position, e.g. a main file that cannot be opened: "file: message".
    void add_file(const std::string& file, std::string_view message);

    bool empty() const { return lines_.empty(); }
    std::size_t size() const { return lines_.size(); }
    // RouteTable::build appends to the same list, in the same format.
    std::vector<std::string>& lines() { return lines_; }

private:
    std::vector<std::string> lines_;
};

// One YAML file being read: its name as given (for messages) and its directory (relative
// include patterns and file paths in it are resolved against that directory).
struct Context {
    std::string file;
    std::string dir;
    Errors& errors;
    // State that outlives snapshots, for the steps compiled from this file (never null).
    middleware::Registry* registry = nullptr;
    // The redis: section when the main file has one (see require_redis in sections.h).
    const RedisConfig* redis = nullptr;

    SourceMark mark(const YAML::Node& node) const;
    SourceMark mark(const YAML::Mark& m) const;
    // `path` relative to this file's directory; absolute paths are kept as they are.
    std::string resolve(const std::string& path) const;
    void error(const YAML::Node& at, std::string_view key_path, std::string_view message) const {
        errors.add(mark(at), key_path, message);
    }
};

}  // namespace gw::config
