#include "server/admin_cache.h"

#include <boost/url/parse.hpp>

#include "server/log.h"

namespace gw::server {

CachePurgeResult purge_cache(middleware::cache::SharedCache& cache, std::string_view target) {
    using boost::beast::http::status;
    auto url = boost::urls::parse_origin_form(target);
    if (!url)
        return {status::bad_request,
                R"({"error":{"code":"bad_request","message":"bad target"}})"};
    middleware::cache::PurgeFilter filter;
    for (const auto& param : url->params()) {
        if (param.key == "route") {
            filter.route = param.value;
        } else if (param.key == "prefix") {
            filter.path_prefix = param.value;
        } else {
            std::string body = R"({"error":{"code":"bad_request","message":"unknown parameter ')";
            log::append_json_escaped(body, param.key);
            body += "' (expected route or prefix)\"}}";
            return {status::bad_request, std::move(body)};
        }
    }
    std::size_t purged = cache.memory.purge_now(filter);
    log::info("cache purged", {{"route", filter.route}, {"prefix", filter.path_prefix},
                               {"entries", std::to_string(purged)}});
    return {status::ok, "{\"purged\":" + std::to_string(purged) + "}"};
}

}  // namespace gw::server
