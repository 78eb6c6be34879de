// Typed, checked access to YAML nodes for the section parsers. Every read that fails appends an
// error (file:line:col, key path, what was expected) to the Context and returns nullopt, so a
// parser simply skips a bad value and goes on to find the next problem.
//
// Scalars pass through ${VAR} substitution here, the one place, so every value supports it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/errors.h"
#include "config/types.h"

namespace gw::config {

// A node and the key path that leads to it, e.g. "routes[2].match.path".
struct Value {
    YAML::Node node;
    std::string path;
};

// A scalar after ${VAR} substitution (or read from a `*_file`), with where it came from.
struct Scalar {
    std::string text;
    std::string path;
    SourceMark mark;
};

// Scalar readers for a Value (list items, map values).
std::optional<Scalar> read_scalar(const Context& ctx, const Value& v);
std::optional<std::string> read_string(const Context& ctx, const Value& v);
std::optional<Duration> read_duration(const Context& ctx, const Value& v);
std::optional<std::size_t> read_size(const Context& ctx, const Value& v);
std::optional<std::uint64_t> read_uint(const Context& ctx, const Value& v, std::uint64_t min,
                                       std::uint64_t max);
std::optional<bool> read_bool(const Context& ctx, const Value& v);

// Items of a sequence, each with path "path[i]". A non-sequence is an error (empty result).
std::vector<Value> read_list(const Context& ctx, const Value& v);
// A string or a list of strings (e.g. listen: "a:1" or listen: ["a:1", "b:2"]).
std::vector<Scalar> read_string_or_list(const Context& ctx, const Value& v);
// A mapping with free-form keys (upstream names, header names): (key, value) in file order.
std::vector<std::pair<Scalar, Value>> read_entries(const Context& ctx, const Value& v);

// The keys a mapping may hold. `unsupported` keys belong to features not built yet: they are
// refused with "not supported yet" rather than silently ignored.
struct KeySpec {
    std::vector<std::string> known;
    std::vector<std::string> unsupported;
};

// A mapping with a fixed set of keys. The constructor reports unknown keys (with a "did you
// mean" hint), duplicate keys and unsupported keys. A key `x_file` stands for `x` when `x` is
// known and does not itself end in "_file": its value is read from that file (relative to the
// YAML file's directory), which keeps secrets out of the YAML.
class MapReader {
public:
    MapReader(const Context& ctx, const Value& map, const KeySpec& spec);

    bool valid() const { return valid_; }  // false when the node was not a mapping
    const Value& value() const { return map_; }
    std::string child_path(std::string_view key) const;
    bool has(std::string_view key) const;
    // Errors "is required" when absent; returns has(key).
    bool require(std::string_view key) const;

    // The raw node; for `x_file` stand-ins it is an error to ask for a non-scalar.
    std::optional<Value> find(std::string_view key) const;
    std::optional<Scalar> scalar(std::string_view key) const;
    std::optional<std::string> string(std::string_view key) const;
    // nonzero: refuse 0 where it would make no sense (a 0s timeout, a 0-byte limit).
    std::optional<Duration> duration(std::string_view key, bool nonzero = false) const;
    std::optional<std::size_t> size(std::string_view key, bool nonzero = false) const;
    std::optional<std::uint64_t> uint(std::string_view key, std::uint64_t min,
                                      std::uint64_t max) const;
    std::optional<bool> boolean(std::string_view key) const;
    // Scalar checked against a fixed set of words, e.g. level: debug|info|warn|error.
    std::optional<std::string> one_of(std::string_view key,
                                      const std::vector<std::string>& words) const;

private:
    struct Entry {
        std::string key;
        YAML::Node key_node;
        YAML::Node value;
    };
    const Entry* entry(std::string_view key) const;
    bool accept_key(const Entry& e, const KeySpec& spec);
    void load_file_value(const Entry& e, const std::string& base);

    const Context& ctx_;
    Value map_;
    bool valid_ = true;
    std::vector<Entry> entries_;
    std::vector<std::pair<std::string, Scalar>> from_files_;  // base key -> file contents
};

}  // namespace gw::config
