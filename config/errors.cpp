#include "config/errors.h"

#include <filesystem>

namespace gw::config {

void Errors::add(const SourceMark& mark, std::string_view key_path, std::string_view message) {
    std::string line = mark.str();
    line += ": ";
    if (!key_path.empty()) {
        line += key_path;
        line += ": ";
    }
    line += message;
    lines_.push_back(std::move(line));
}

void Errors::add_file(const std::string& file, std::string_view message) {
    lines_.push_back(file + ": " + std::string(message));
}

SourceMark Context::mark(const YAML::Mark& m) const {
    // yaml-cpp counts from 0 and uses -1 for "no position"; people count from 1.
    return SourceMark{file, m.line < 0 ? 1 : m.line + 1, m.column < 0 ? 1 : m.column + 1};
}

SourceMark Context::mark(const YAML::Node& node) const {
    // Mark() throws on an invalid (zombie) node; such nodes never reach here, but a load must
    // never throw because of a position lookup.
    if (!node.IsDefined()) return SourceMark{file, 1, 1};
    return mark(node.Mark());
}

std::string Context::resolve(const std::string& path) const {
    if (path.empty() || dir.empty() || std::filesystem::path(path).is_absolute()) return path;
    return (std::filesystem::path(dir) / path).string();
}

}  // namespace gw::config
