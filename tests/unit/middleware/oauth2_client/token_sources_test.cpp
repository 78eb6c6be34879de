// TokenSources: one live source per key across loads, and the /metrics series per upstream
// from the newest live source.
#include <catch.hpp>

#include "middleware/oauth2_client/token_sources.h"

using namespace gw::middleware::oauth2_client;

namespace {
gw::config::OAuth2Client settings(const std::string& secret) {
    gw::config::OAuth2Client s;
    s.token_url = "http://127.0.0.1:1/token";
    s.client_id = "gw";
    s.client_secret = secret;
    return s;
}
}  // namespace

TEST_CASE("a live source is handed out again for the same key", "[oauth2][token]") {
    TokenSources sources;
    auto a = sources.get("k1", "partner", settings("one"));
    CHECK(sources.get("k1", "partner", settings("one")) == a);
    CHECK(sources.get("k1", "mirror", settings("one")) == a);  // same settings: shared
    auto b = sources.get("k2", "partner", settings("two"));
    CHECK(b != a);
    CHECK(b->settings().client_secret == "two");
    // Held weakly: once no snapshot holds it, the key makes a new source.
    std::weak_ptr<TokenSource> gone = a;
    a.reset();
    CHECK(gone.expired());
    CHECK(sources.get("k1", "partner", settings("one")));
}

TEST_CASE("metrics: one series per upstream, from its newest live source", "[oauth2][token]") {
    TokenSources sources;
    std::string out;
    sources.render(out);
    CHECK(out.empty());  // no oauth2 upstream: no series at all

    auto current = sources.get("k1", "partner", settings("one"));
    auto mirror = sources.get("k1", "mirror", settings("one"));
    current->reject(42);  // counted even though no token had that id
    {
        // A reload that failed made a source for "partner" that died with it.
        auto failed = sources.get("k2", "partner", settings("two"));
    }
    sources.render(out);
    CHECK(out.find("# TYPE gateway_upstream_token_fetches_total counter\n") !=
          std::string::npos);
    CHECK(out.find("gateway_upstream_token_fetches_total{upstream=\"partner\",result=\"ok\"} 0\n")
          != std::string::npos);
    CHECK(out.find("gateway_upstream_token_fetches_total{upstream=\"mirror\",result=\"error\"} "
                   "0\n") != std::string::npos);
    CHECK(out.find("gateway_upstream_token_rejections_total{upstream=\"partner\"} 1\n") !=
          std::string::npos);
    // One series per upstream, not one per source ever made.
    std::size_t n = 0;
    for (auto pos = out.find("rejections_total{"); pos != std::string::npos;
         pos = out.find("rejections_total{", pos + 1))
        ++n;
    CHECK(n == 2);
}
