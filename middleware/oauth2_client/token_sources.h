// Every OAuth2 token source the configuration loads made, kept in middleware::Registry (one
// instance, state "oauth2_client"). A load asks it for the source of a setting: the live one
// made earlier under the same key (so a reload with the same settings keeps its token), else a
// new one. It also renders the sources' counters for /metrics, one series per upstream:
//   gateway_upstream_token_fetches_total{upstream,result="ok"|"error"}
//   gateway_upstream_token_rejections_total{upstream}   upstream 401s to the gateway's token
// (the counters are the source's: they start again at 0 when a rotated secret makes a new one).
//
// Sources are held weakly: one lives as long as a snapshot uses it. For an upstream the newest
// live source counts, so a reload that failed (its sources die with it) changes nothing.
// Threads: get() from loads, render() from the /metrics scrape; a mutex covers both.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/types.h"
#include "middleware/oauth2_client/token_source.h"

namespace gw::middleware::oauth2_client {

class TokenSources {
public:
    // key: every setting that shapes the token (a digest for the secret), see
    // config/oauth2_client_section.cpp. upstream: the upstream name, for metrics.
    std::shared_ptr<TokenSource> get(const std::string& key, const std::string& upstream,
                                     config::OAuth2Client settings);
    void render(std::string& out);

private:
    struct Use {
        std::string key;
        std::string upstream;
        std::weak_ptr<TokenSource> source;
    };
    std::mutex mutex_;
    std::vector<Use> uses_;  // newest last
};

}  // namespace gw::middleware::oauth2_client
