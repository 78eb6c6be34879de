#include "middleware/oauth2_client/token_sources.h"

#include <algorithm>
#include <map>

namespace gw::middleware::oauth2_client {
namespace {

// Upstream names are letters, digits, '-', '_' and '.' (checked at load): no label escaping.
void append_sample(std::string& out, std::string_view name, const std::string& upstream,
                   std::string_view result, std::uint64_t value) {
    out += name;
    out += "{upstream=\"";
    out += upstream;
    if (!result.empty()) {
        out += "\",result=\"";
        out += result;
    }
    out += "\"} ";
    out += std::to_string(value);
    out += '\n';
}

}  // namespace

std::shared_ptr<TokenSource> TokenSources::get(const std::string& key,
                                               const std::string& upstream,
                                               config::OAuth2Client settings) {
    std::lock_guard lock(mutex_);
    std::erase_if(uses_, [](const Use& u) { return u.source.expired(); });
    std::shared_ptr<TokenSource> source;
    for (const auto& u : uses_) {
        if (u.key == key) source = u.source.lock();
    }
    if (!source) source = std::make_shared<TokenSource>(std::move(settings));
    std::erase_if(uses_, [&](const Use& u) { return u.key == key && u.upstream == upstream; });
    uses_.push_back(Use{key, upstream, source});
    return source;
}

void TokenSources::render(std::string& out) {
    std::map<std::string, std::shared_ptr<TokenSource>> newest;  // by upstream, sorted
    {
        std::lock_guard lock(mutex_);
        for (auto it = uses_.rbegin(); it != uses_.rend(); ++it) {
            if (newest.count(it->upstream)) continue;
            if (auto source = it->source.lock()) newest.emplace(it->upstream, std::move(source));
        }
    }
    if (newest.empty()) return;
    constexpr std::string_view kFetches = "gateway_upstream_token_fetches_total";
    out += "# HELP gateway_upstream_token_fetches_total OAuth2 token fetches, by result.\n"
           "# TYPE gateway_upstream_token_fetches_total counter\n";
    for (const auto& [upstream, source] : newest) {
        append_sample(out, kFetches, upstream, "ok", source->fetched());
        append_sample(out, kFetches, upstream, "error", source->failed());
    }
    out += "# HELP gateway_upstream_token_rejections_total Upstream 401 answers to a token.\n"
           "# TYPE gateway_upstream_token_rejections_total counter\n";
    for (const auto& [upstream, source] : newest)
        append_sample(out, "gateway_upstream_token_rejections_total", upstream, {},
                      source->rejections());
}

}  // namespace gw::middleware::oauth2_client
