#include "server/admin_cache.h"

#include <optional>

#include <boost/url/parse.hpp>

#include "middleware/cache/redis_store.h"
#include "server/log.h"

namespace gw::server {
namespace {

using boost::beast::http::status;

// The filter in the target's query, or the 400 that refuses it.
std::optional<CachePurgeResult> read_filter(std::string_view target,
                                            middleware::cache::PurgeFilter& filter) {
    auto url = boost::urls::parse_origin_form(target);
    if (!url)
        return CachePurgeResult{status::bad_request,
                                R"({"error":{"code":"bad_request","message":"bad target"}})"};
    for (const auto& param : url->params()) {
        if (param.key == "route") {
            filter.route = param.value;
        } else if (param.key == "prefix") {
            filter.path_prefix = param.value;
        } else {
            std::string body = R"({"error":{"code":"bad_request","message":"unknown parameter ')";
            log::append_json_escaped(body, param.key);
            body += "' (expected route or prefix)\"}}";
            return CachePurgeResult{status::bad_request, std::move(body)};
        }
    }
    return std::nullopt;
}

}  // namespace

boost::asio::awaitable<CachePurgeResult> purge_cache(
    std::shared_ptr<middleware::cache::SharedCache> cache,
    std::shared_ptr<const config::Config> config, std::string target) {
    middleware::cache::PurgeFilter filter;
    if (auto refused = read_filter(target, filter)) co_return std::move(*refused);
    std::size_t purged = cache->memory.purge_now(filter);
    bool redis_failed = false;
    const bool with_redis = config && config->redis;
    if (with_redis) {
        middleware::cache::RedisStore redis(
            *config->redis,
            std::shared_ptr<middleware::cache::RedisStoreStats>(cache, &cache->redis_stats));
        auto n = co_await redis.purge_checked(filter);
        redis_failed = !n;
        purged += n.value_or(0);
    }
    log::info("cache purged", {{"route", filter.route}, {"prefix", filter.path_prefix},
                               {"entries", std::to_string(purged)},
                               {"redis", !with_redis ? "none" : redis_failed ? "failed" : "ok"}});
    if (redis_failed)
        co_return CachePurgeResult{
            status::service_unavailable,
            R"({"error":{"code":"cache_store_unavailable","message":"Redis did not answer: )"
            R"(its entries were not purged; memory entries were"}})"};
    co_return CachePurgeResult{status::ok, "{\"purged\":" + std::to_string(purged) + "}"};
}

}  // namespace gw::server
