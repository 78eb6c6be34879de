#include "config/yaml_file.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace gw::config {
namespace {

// Configuration files and secrets are small; a larger one is a mistake (a log file named by
// accident), and the bound keeps a reload from filling the memory.
constexpr std::size_t kMaxFileBytes = 16 * 1024 * 1024;

bool slurp(const std::string& path, std::string& out, std::string& error) {
    if (!readable_kind(path, error)) return false;
    errno = 0;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        error = std::strerror(errno != 0 ? errno : ENOENT);
        return false;
    }
    out.clear();
    char chunk[16 * 1024];
    while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
        out.append(chunk, static_cast<std::size_t>(in.gcount()));
        if (out.size() > kMaxFileBytes) {
            error = "larger than 16 MiB";
            return false;
        }
    }
    if (in.bad()) {
        error = std::strerror(errno != 0 ? errno : EIO);
        return false;
    }
    return true;
}

}  // namespace

bool readable_kind(const std::string& path, std::string& error) {
    std::error_code ec;
    auto status = std::filesystem::status(path, ec);
    if (ec || std::filesystem::is_regular_file(status))
        return true;  // a missing file gets its error when it is opened
    error = std::filesystem::is_directory(status) ? std::strerror(EISDIR) : "not a regular file";
    return false;
}

bool read_text_file(const std::string& path, std::string& out, std::string& error) {
    if (!slurp(path, out, error)) return false;
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return true;
}

std::optional<YAML::Node> read_yaml_file(const Context& ctx) {
    std::string text, error;
    if (!slurp(ctx.file, text, error)) {
        ctx.errors.add_file(ctx.file, "cannot read file: " + error);
        return std::nullopt;
    }
    try {
        YAML::Node root = YAML::Load(text);
        if (root.IsNull()) return YAML::Node(YAML::NodeType::Map);
        if (!root.IsMap()) {
            ctx.error(root, "", "expected a mapping of sections (server:, routes:, ...)");
            return std::nullopt;
        }
        return root;
    } catch (const YAML::ParserException& e) {
        ctx.errors.add(ctx.mark(e.mark), "", "invalid YAML: " + e.msg);
    } catch (const YAML::Exception& e) {
        ctx.errors.add(ctx.mark(e.mark), "", "invalid YAML: " + e.msg);
    }
    return std::nullopt;
}

}  // namespace gw::config
