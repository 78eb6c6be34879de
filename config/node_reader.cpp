#include "config/node_reader.h"

#include <algorithm>

#include "config/env.h"
#include "config/suggest.h"
#include "config/units.h"
#include "config/yaml_file.h"

namespace gw::config {
namespace {

const EnvLookup& env() {
    static const EnvLookup lookup = process_env();
    return lookup;
}

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool contains(const std::vector<std::string>& list, std::string_view word) {
    return std::find(list.begin(), list.end(), word) != list.end();
}

std::string_view kind_of(const YAML::Node& node) {
    if (node.IsMap()) return "a mapping";
    if (node.IsSequence()) return "a list";
    if (node.IsNull()) return "nothing";
    return "a scalar";
}

}  // namespace

std::optional<Scalar> read_scalar(const Context& ctx, const Value& v) {
    if (!v.node.IsScalar()) {
        ctx.error(v.node, v.path, "expected a value, got " + std::string(kind_of(v.node)));
        return std::nullopt;
    }
    Scalar out{"", v.path, ctx.mark(v.node)};
    std::string error;
    if (!substitute_env(v.node.Scalar(), env(), out.text, error)) {
        ctx.errors.add(out.mark, v.path, error);
        return std::nullopt;
    }
    return out;
}

std::optional<std::string> read_string(const Context& ctx, const Value& v) {
    auto s = read_scalar(ctx, v);
    if (!s) return std::nullopt;
    return std::move(s->text);
}

namespace {

// The typed readers share one shape: scalar, parse, or "expected ..., got '...'".
template <typename Parse>
auto read_parsed(const std::optional<Scalar>& s, const Context& ctx, Parse parse,
                 std::string_view expected) -> decltype(parse(std::string_view{})) {
    if (!s) return std::nullopt;
    auto parsed = parse(std::string_view(s->text));
    if (!parsed) {
        ctx.errors.add(s->mark, s->path,
                       "expected " + std::string(expected) + ", got '" + s->text + "'");
    }
    return parsed;
}

std::optional<Duration> duration_of(const Context& ctx, const std::optional<Scalar>& s) {
    return read_parsed(s, ctx, parse_duration, "a duration like 250ms, 5s, 10m or 1h");
}

std::optional<std::size_t> size_of(const Context& ctx, const std::optional<Scalar>& s) {
    return read_parsed(s, ctx, parse_size, "a size like 512, 16KiB, 10MiB or 1GiB");
}

std::optional<std::uint64_t> uint_of(const Context& ctx, const std::optional<Scalar>& s,
                                     std::uint64_t min, std::uint64_t max) {
    auto in_range = [&](std::string_view text) -> std::optional<std::uint64_t> {
        auto n = parse_uint(text);
        if (!n || *n < min || *n > max) return std::nullopt;
        return n;
    };
    return read_parsed(s, ctx, in_range,
                       "an integer " + std::to_string(min) + ".." + std::to_string(max));
}

std::optional<bool> bool_of(const Context& ctx, const std::optional<Scalar>& s) {
    auto boolean = [](std::string_view text) -> std::optional<bool> {
        if (text == "true") return true;
        if (text == "false") return false;
        return std::nullopt;
    };
    return read_parsed(s, ctx, boolean, "true or false");
}

}  // namespace

std::optional<Duration> read_duration(const Context& ctx, const Value& v) {
    return duration_of(ctx, read_scalar(ctx, v));
}

std::optional<std::size_t> read_size(const Context& ctx, const Value& v) {
    return size_of(ctx, read_scalar(ctx, v));
}

std::optional<std::uint64_t> read_uint(const Context& ctx, const Value& v, std::uint64_t min,
                                       std::uint64_t max) {
    return uint_of(ctx, read_scalar(ctx, v), min, max);
}

std::optional<bool> read_bool(const Context& ctx, const Value& v) {
    return bool_of(ctx, read_scalar(ctx, v));
}

std::vector<Value> read_list(const Context& ctx, const Value& v) {
    std::vector<Value> items;
    if (v.node.IsNull()) return items;  // "key:" with nothing: an empty list
    if (!v.node.IsSequence()) {
        ctx.error(v.node, v.path, "expected a list, got " + std::string(kind_of(v.node)));
        return items;
    }
    for (std::size_t i = 0; i < v.node.size(); ++i) {
        items.push_back(Value{v.node[i], v.path + "[" + std::to_string(i) + "]"});
    }
    return items;
}

std::vector<Scalar> read_string_or_list(const Context& ctx, const Value& v) {
    std::vector<Scalar> out;
    if (v.node.IsScalar()) {
        if (auto s = read_scalar(ctx, v)) out.push_back(std::move(*s));
        return out;
    }
    for (const auto& item : read_list(ctx, v)) {
        if (auto s = read_scalar(ctx, item)) out.push_back(std::move(*s));
    }
    return out;
}

std::vector<std::pair<Scalar, Value>> read_entries(const Context& ctx, const Value& v) {
    std::vector<std::pair<Scalar, Value>> out;
    if (v.node.IsNull()) return out;
    if (!v.node.IsMap()) {
        ctx.error(v.node, v.path, "expected a mapping, got " + std::string(kind_of(v.node)));
        return out;
    }
    for (auto it = v.node.begin(); it != v.node.end(); ++it) {
        if (!it->first.IsScalar()) {
            ctx.error(it->first, v.path, "expected a plain key");
            continue;
        }
        std::string key = it->first.Scalar();
        Scalar name{key, v.path + "." + key, ctx.mark(it->first)};
        out.emplace_back(std::move(name), Value{it->second, v.path + "." + key});
    }
    return out;
}

// ---- MapReader ----

MapReader::MapReader(const Context& ctx, const Value& map, const KeySpec& spec)
    : ctx_(ctx), map_(map) {
    if (map.node.IsNull()) return;  // "tls:" with nothing under it: no keys
    if (!map.node.IsMap()) {
        valid_ = false;
        ctx.error(map.node, map.path,
                  "expected a mapping, got " + std::string(kind_of(map.node)));
        return;
    }
    for (auto it = map.node.begin(); it != map.node.end(); ++it) {
        if (!it->first.IsScalar()) {
            ctx.error(it->first, map.path, "expected a plain key");
            continue;
        }
        Entry e{it->first.Scalar(), it->first, it->second};
        if (const Entry* first = entry(e.key)) {
            ctx.error(e.key_node, child_path(e.key),
                      "duplicate key (first at " + ctx.mark(first->key_node).str() + ")");
            continue;
        }
        if (accept_key(e, spec)) entries_.push_back(std::move(e));
    }
}

bool MapReader::accept_key(const Entry& e, const KeySpec& spec) {
    if (contains(spec.known, e.key)) return true;
    if (contains(spec.unsupported, e.key)) {
        ctx_.error(e.key_node, child_path(e.key), "not supported yet");
        return false;
    }
    if (ends_with(e.key, "_file")) {
        std::string base = e.key.substr(0, e.key.size() - 5);
        if (contains(spec.known, base) && !ends_with(base, "_file")) {
            load_file_value(e, base);
            return true;
        }
    }
    ctx_.error(e.key_node, child_path(e.key),
               "unknown key" + did_you_mean(e.key, spec.known));
    return false;
}

void MapReader::load_file_value(const Entry& e, const std::string& base) {
    auto name = read_scalar(ctx_, Value{e.value, child_path(e.key)});
    if (!name) return;
    Scalar contents{"", name->path, name->mark};
    std::string error;
    if (!read_text_file(ctx_.resolve(name->text), contents.text, error)) {
        ctx_.errors.add(name->mark, name->path, "cannot read '" + name->text + "': " + error);
        return;
    }
    from_files_.emplace_back(base, std::move(contents));
}

const MapReader::Entry* MapReader::entry(std::string_view key) const {
    for (const auto& e : entries_) {
        if (e.key == key) return &e;
    }
    return nullptr;
}

std::string MapReader::child_path(std::string_view key) const {
    if (map_.path.empty()) return std::string(key);
    return map_.path + "." + std::string(key);
}

bool MapReader::has(std::string_view key) const {
    if (entry(key) != nullptr) return true;
    for (const auto& [base, s] : from_files_) {
        if (base == key) return true;
    }
    return entry(std::string(key) + "_file") != nullptr;  // present but unreadable
}

bool MapReader::require(std::string_view key) const {
    if (has(key)) return true;
    ctx_.error(map_.node, child_path(key), "is required");
    return false;
}

std::optional<Value> MapReader::find(std::string_view key) const {
    const Entry* e = entry(key);
    for (const auto& [base, s] : from_files_) {
        // Only scalars can come from a file; a list or mapping key must not lose its value.
        if (base == key && e == nullptr) {
            ctx_.errors.add(s.mark, s.path, "'" + base + "' cannot be read from a file");
        }
    }
    if (e == nullptr) return std::nullopt;
    return Value{e->value, child_path(key)};
}

std::optional<Scalar> MapReader::scalar(std::string_view key) const {
    const Entry* e = entry(key);
    for (const auto& [base, s] : from_files_) {
        if (base != key) continue;
        if (e != nullptr) {
            std::string k(key);
            ctx_.errors.add(s.mark, s.path,
                            "give either '" + k + "' or '" + k + "_file', not both");
            return std::nullopt;
        }
        return s;
    }
    if (e == nullptr) return std::nullopt;
    return read_scalar(ctx_, Value{e->value, child_path(key)});
}

std::optional<std::string> MapReader::string(std::string_view key) const {
    auto s = scalar(key);
    if (!s) return std::nullopt;
    return std::move(s->text);
}

std::optional<Duration> MapReader::duration(std::string_view key, bool nonzero) const {
    auto s = scalar(key);
    auto d = duration_of(ctx_, s);
    if (d && nonzero && d->count() == 0) {
        ctx_.errors.add(s->mark, s->path, "must be greater than 0");
        return std::nullopt;
    }
    return d;
}

std::optional<std::size_t> MapReader::size(std::string_view key, bool nonzero) const {
    auto s = scalar(key);
    auto n = size_of(ctx_, s);
    if (n && nonzero && *n == 0) {
        ctx_.errors.add(s->mark, s->path, "must be greater than 0");
        return std::nullopt;
    }
    return n;
}

std::optional<std::uint64_t> MapReader::uint(std::string_view key, std::uint64_t min,
                                             std::uint64_t max) const {
    return uint_of(ctx_, scalar(key), min, max);
}

std::optional<bool> MapReader::boolean(std::string_view key) const {
    return bool_of(ctx_, scalar(key));
}

std::optional<std::string> MapReader::one_of(std::string_view key,
                                             const std::vector<std::string>& words) const {
    auto s = scalar(key);
    if (!s) return std::nullopt;
    if (contains(words, s->text)) return std::move(s->text);
    std::string expected;
    for (const auto& w : words) expected += (expected.empty() ? "" : " | ") + w;
    ctx_.errors.add(s->mark, s->path, "expected " + expected + ", got '" + s->text + "'" +
                                          did_you_mean(s->text, words));
    return std::nullopt;
}

}  // namespace gw::config
