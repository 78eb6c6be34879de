#include "config/includes.h"

#include <glob.h>

#include <filesystem>
#include <set>

#include "config/yaml_file.h"

namespace gw::config {
namespace {

constexpr int kMaxIncludeDepth = 8;

struct Walk {
    Errors& errors;
    std::vector<Document> docs;
    std::set<std::string> seen;  // canonical paths
};

const KeySpec& spec_for(bool main) {
    // A feature's section moves from the second list to the first when it is built.
    static const KeySpec kMain{{"server", "admin", "log", "redis", "include", "upstreams",
                                "routes", "consumers", "authenticators", "cache"},
                               {}};
    // server/admin/log/redis/cache are listed so that they get a precise message, not
    // "unknown key".
    static const KeySpec kIncluded = kMain;
    return main ? kMain : kIncluded;
}

bool has_glob_chars(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

std::vector<std::string> expand(const Context& ctx, const Scalar& pattern) {
    std::vector<std::string> files;
    std::string full = ctx.resolve(pattern.text);
    glob_t g{};
    int rc = ::glob(full.c_str(), 0, nullptr, &g);
    if (rc == 0) {
        for (std::size_t i = 0; i < g.gl_pathc; ++i) files.emplace_back(g.gl_pathv[i]);
    } else if (rc != GLOB_NOMATCH || !has_glob_chars(pattern.text)) {
        // A pattern matching nothing is fine (an empty routes/ folder); a plain file name that
        // does not exist is a mistake.
        ctx.errors.add(pattern.mark, pattern.path, "cannot read include '" + pattern.text +
                                                       "': No such file or directory");
    }
    ::globfree(&g);
    return files;
}

void load_file(Walk& walk, const std::string& path, int depth);

void follow_includes(Walk& walk, const Context& ctx, const Value& include, int depth) {
    for (const auto& pattern : read_string_or_list(ctx, include)) {
        if (depth >= kMaxIncludeDepth) {
            ctx.errors.add(pattern.mark, pattern.path, "includes nested too deeply");
            return;
        }
        for (const auto& file : expand(ctx, pattern)) load_file(walk, file, depth + 1);
    }
}

void keep_sections(const Context& ctx, const MapReader& r, Document& doc) {
    doc.upstreams = r.find("upstreams");
    doc.consumers = r.find("consumers");
    doc.authenticators = r.find("authenticators");
    doc.routes = r.find("routes");
    if (doc.main) {
        doc.server = r.find("server");
        doc.admin = r.find("admin");
        doc.log = r.find("log");
        doc.redis = r.find("redis");
        doc.cache = r.find("cache");
        return;
    }
    for (const char* key : {"server", "admin", "log", "redis", "cache"}) {
        if (auto v = r.find(key)) {
            ctx.error(v->node, v->path, "only allowed in the main file");
        }
    }
}

void load_file(Walk& walk, const std::string& path, int depth) {
    std::error_code ec;
    auto canonical = std::filesystem::weakly_canonical(path, ec);
    if (!walk.seen.insert(ec ? path : canonical.string()).second) return;
    Document doc;
    doc.file = path;
    doc.dir = std::filesystem::path(path).parent_path().string();
    doc.main = walk.docs.empty() && depth == 0;
    Context ctx = doc.context(walk.errors);
    auto root = read_yaml_file(ctx);
    if (!root) return;
    MapReader r(ctx, Value{*root, ""}, spec_for(doc.main));
    keep_sections(ctx, r, doc);
    auto include = r.find("include");
    walk.docs.push_back(std::move(doc));
    if (include) follow_includes(walk, ctx, *include, depth);
}

}  // namespace

std::vector<Document> load_documents(const std::string& path, Errors& errors) {
    Walk walk{errors, {}, {}};
    load_file(walk, path, 0);
    return std::move(walk.docs);
}

}  // namespace gw::config
