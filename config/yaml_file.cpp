#include "config/yaml_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace gw::config {
namespace {

bool slurp(const std::string& path, std::string& out, std::string& error) {
    errno = 0;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        error = std::strerror(errno != 0 ? errno : ENOENT);
        return false;
    }
    std::ostringstream buffer;
    buffer << in.rdbuf();
    // Reading a directory "opens" fine on Linux but fails here.
    if (in.bad()) {
        error = std::strerror(errno != 0 ? errno : EIO);
        return false;
    }
    out = std::move(buffer).str();
    return true;
}

}  // namespace

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
