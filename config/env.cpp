#include "config/env.h"

#include <cstdlib>

namespace gw::config {
namespace {

bool valid_name(std::string_view name) {
    if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
    for (char c : name) {
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '_';
        if (!ok) return false;
    }
    return true;
}

// Expands the inside of one "${...}" into out.
bool expand_one(std::string_view inner, const EnvLookup& env, std::string& out,
                std::string& error) {
    std::string_view name = inner;
    std::optional<std::string_view> fallback;
    if (auto sep = inner.find(":-"); sep != std::string_view::npos) {
        name = inner.substr(0, sep);
        fallback = inner.substr(sep + 2);
    }
    if (!valid_name(name)) {
        error = "bad variable name '" + std::string(name) + "' in ${...}";
        return false;
    }
    auto value = env(std::string(name));
    if (value && (!value->empty() || !fallback)) {
        out += *value;
    } else if (fallback) {
        out += *fallback;
    } else {
        error = "environment variable '" + std::string(name) +
                "' is not set (use ${" + std::string(name) + ":-default} for a default)";
        return false;
    }
    return true;
}

}  // namespace

EnvLookup process_env() {
    return [](const std::string& name) -> std::optional<std::string> {
        const char* value = std::getenv(name.c_str());
        if (value == nullptr) return std::nullopt;
        return std::string(value);
    };
}

bool substitute_env(std::string_view in, const EnvLookup& env, std::string& out,
                    std::string& error) {
    out.clear();
    for (std::size_t i = 0; i < in.size();) {
        if (in[i] != '$' || i + 1 == in.size()) {
            out += in[i++];
        } else if (in[i + 1] == '$') {
            out += '$';
            i += 2;
        } else if (in[i + 1] == '{') {
            auto close = in.find('}', i + 2);
            if (close == std::string_view::npos) {
                error = "unterminated '${' (expected ${VAR} or ${VAR:-default})";
                return false;
            }
            if (!expand_one(in.substr(i + 2, close - i - 2), env, out, error)) return false;
            i = close + 1;
        } else {
            out += in[i++];
        }
    }
    return true;
}

}  // namespace gw::config
