// load_config: the one entry point. Reads every file, parses each section, resolves names
// across files, compiles the route table, and only then decides: any error at all means no
// Config, so a bad reload never replaces a good snapshot.
#include <exception>

#include "config/access_sections.h"
#include "config/config.h"
#include "config/includes.h"
#include "config/sections.h"
#include "middleware/cache/shared_cache.h"
#include "middleware/registry.h"

namespace gw::config {
namespace {

Value section(const std::optional<Value>& v, const char* name) {
    // An absent section is read like an empty one, so its defaults (listen 0.0.0.0:8080) apply.
    return v ? *v : Value{YAML::Node(), name};
}

AccessTables load_access(const std::vector<Document>& docs, Errors& errors,
                         middleware::Registry& registry) {
    ConsumerDraft consumers;
    for (const auto& doc : docs) {
        if (doc.consumers) parse_consumers(doc.context(errors, &registry), *doc.consumers,
                                           consumers);
    }
    AccessTables access;
    finish_consumers(consumers, access);
    for (const auto& doc : docs) {
        if (doc.authenticators)
            parse_authenticators(doc.context(errors, &registry), *doc.authenticators, access);
    }
    return access;
}

LoadResult load(const std::string& path, middleware::Registry& registry) {
    Errors errors;
    std::vector<Document> docs = load_documents(path, errors);
    if (docs.empty()) return LoadResult{nullptr, std::move(errors.lines())};

    auto config = std::make_shared<Config>();
    config->source = path;
    const Document& main = docs.front();
    Context main_ctx = main.context(errors, &registry);
    parse_server(main_ctx, section(main.server, "server"), config->server);
    parse_admin(main_ctx, section(main.admin, "admin"), config->admin);
    parse_log(main_ctx, section(main.log, "log"), config->log);
    parse_cache_settings(main_ctx, section(main.cache, "cache"), config->cache);
    if (main.redis) parse_redis(main_ctx, *main.redis, config->redis);
    // Sections below may say `store: redis`: they find the redis: section in their Context.
    const RedisConfig* redis = config->redis ? &*config->redis : nullptr;

    // Upstreams first, from every file: a route may name an upstream defined in any file.
    UpstreamMap upstreams;
    for (const auto& doc : docs) {
        if (doc.upstreams)
            parse_upstreams(doc.context(errors, &registry, redis), *doc.upstreams, upstreams);
    }
    // Then who may call (consumers before the authenticators that look keys up in them).
    AccessTables access = load_access(docs, errors, registry);
    NameMarks route_names;
    std::vector<RouteSpec> specs;
    for (const auto& doc : docs) {
        if (doc.routes) {
            parse_routes(doc.context(errors, &registry, redis), *doc.routes, upstreams, access,
                         route_names, specs);
        }
    }
    for (auto& [name, upstream] : upstreams) config->upstreams.push_back(upstream);
    // Built even when earlier errors exist, so conflicts and bad regexes show up in the same run.
    config->routes = routes::RouteTable::build(std::move(specs), errors.lines());

    if (!errors.empty()) return LoadResult{nullptr, std::move(errors.lines())};
    // Only a load that will be used changes the shared cache's budget.
    middleware::cache::shared_cache(registry)->memory.set_max_bytes(config->cache.max_bytes);
    return LoadResult{std::move(config), {}};
}

}  // namespace

LoadResult load_config(const std::string& path, middleware::Registry* registry) {
    // The contract is "never throws": whatever escapes the parsers becomes an error line.
    try {
        if (registry) return load(path, *registry);
        middleware::Registry own;
        return load(path, own);
    } catch (const YAML::Exception& e) {
        return LoadResult{nullptr, {path + ": invalid configuration: " + e.what()}};
    } catch (const std::exception& e) {
        return LoadResult{nullptr, {path + ": cannot load configuration: " + e.what()}};
    } catch (...) {
        return LoadResult{nullptr, {path + ": cannot load configuration: unknown error"}};
    }
}

}  // namespace gw::config
