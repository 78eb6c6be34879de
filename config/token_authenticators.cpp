// authenticators.<name> with type jwt or oauth2_introspection: checked and compiled once here,
// so requests only read the result. Key sets and token caches are taken from the Registry by
// URL, so a reload keeps keys already fetched and answers already cached.
#include "config/token_authenticators.h"

#include <boost/url/parse.hpp>

#include "config/sections.h"
#include "middleware/auth/introspection_authenticator.h"
#include "middleware/auth/jwks.h"
#include "middleware/auth/jwks_metrics.h"
#include "middleware/auth/jwt_authenticator.h"
#include "middleware/registry.h"
#include "server/http_client.h"

namespace gw::config {
namespace {

namespace auth = middleware::auth;

constexpr std::uint64_t kMaxCacheEntries = 10'000'000;

const auth::FetchFn& real_fetch() {
    static const auth::FetchFn kFetch = &server::fetch;
    return kFetch;
}

// An absolute http(s) URL with a host and no credentials in it (they belong in their keys).
std::optional<std::string> read_url(const Context& ctx, const MapReader& r, const char* key) {
    auto s = r.scalar(key);
    if (!s) return std::nullopt;
    auto url = boost::urls::parse_uri(s->text);
    const char* why = nullptr;
    if (!url || (url->scheme() != "http" && url->scheme() != "https")) {
        why = "expected an http:// or https:// URL";
    } else if (url->encoded_host().empty()) {
        why = "expected a host in the URL";
    } else if (url->has_userinfo()) {
        why = "expected no credentials in the URL";
    }
    if (why) {
        ctx.errors.add(s->mark, s->path, std::string(why) + ", got '" + s->text + "'");
        return std::nullopt;
    }
    return s->text;
}

void read_tls(const Context& ctx, const MapReader& r, UpstreamTls& out) {
    if (auto t = r.find("tls")) parse_upstream_tls(ctx, *t, out);
}

// --- jwt ------------------------------------------------------------------------------------

const KeySpec kJwtKeys{{"type", "issuer", "audiences", "algorithms", "leeway", "jwks_url",
                        "jwks_refresh", "jwks_min_refresh", "public_key", "secret", "timeout",
                        "tls"},
                       {}};

// The algorithms a key of this kind verifies, when `algorithms:` is not given.
std::vector<auth::JwtAlg> default_algorithms(auth::KeyKind kind) {
    using A = auth::JwtAlg;
    switch (kind) {
    case auth::KeyKind::rsa: return {A::RS256};
    case auth::KeyKind::ec_p256: return {A::ES256};
    case auth::KeyKind::ec_p384: return {A::ES384};
    case auth::KeyKind::ed25519: return {A::EdDSA};
    case auth::KeyKind::secret: return {A::HS256};
    }
    return {};
}

// Each listed algorithm must be known and usable with the configured kind of key: an HS*
// algorithm only with `secret`, the others only with `jwks_url` or `public_key`.
std::vector<auth::JwtAlg> read_algorithms(const Context& ctx, const MapReader& r,
                                          std::optional<auth::KeyKind> fixed_kind,
                                          bool& ok) {
    std::vector<auth::JwtAlg> out;
    for (const auto& s : read_string_or_list(ctx, *r.find("algorithms"))) {
        auto alg = auth::parse_jwt_alg(s.text);
        std::string why;
        if (!alg) {
            why = s.text == "none" ? "'none' is never accepted (unsigned tokens)"
                                   : "expected one of RS256, RS384, RS512, PS256, PS384, "
                                     "PS512, ES256, ES384, EdDSA, HS256, HS384, HS512, got '" +
                                         s.text + "'";
        } else if (fixed_kind && auth::key_kind_for(*alg) != *fixed_kind) {
            why = s.text + " needs a" + (auth::key_kind_for(*alg) == auth::KeyKind::secret
                                             ? " secret"
                                             : "n " + std::string(auth::key_kind_name(
                                                          auth::key_kind_for(*alg))) + " key") +
                  ", not the configured " + std::string(auth::key_kind_name(*fixed_kind)) +
                  (*fixed_kind == auth::KeyKind::secret ? "" : " key");
        } else if (!fixed_kind && *alg >= auth::JwtAlg::HS256) {
            why = s.text + " needs a secret, not keys from jwks_url";
        }
        if (!why.empty()) {
            ctx.errors.add(s.mark, s.path, why);
            ok = false;
        } else {
            out.push_back(*alg);
        }
    }
    if (out.empty() && ok) {
        ctx.error(r.find("algorithms")->node, r.child_path("algorithms"),
                  "expected at least one algorithm");
        ok = false;
    }
    return out;
}

// A secret must be at least as long as the largest HMAC output it is used with (RFC 7518 3.2).
bool check_secret(const Context& ctx, const MapReader& r, const Scalar& secret,
                  const std::vector<auth::JwtAlg>& algs) {
    std::size_t need = 32;
    for (auto a : algs) {
        if (a == auth::JwtAlg::HS384) need = std::max<std::size_t>(need, 48);
        if (a == auth::JwtAlg::HS512) need = 64;
    }
    if (secret.text.size() >= need) return true;
    ctx.errors.add(secret.mark, r.child_path("secret"),
                   "expected a secret of at least " + std::to_string(need) +
                       " bytes for the listed algorithms, got " +
                       std::to_string(secret.text.size()));
    return false;
}

std::shared_ptr<const auth::KeySet> read_public_key(const Context& ctx, const MapReader& r) {
    auto pem = r.scalar("public_key");
    if (!pem) return nullptr;
    std::string why;
    auto key = auth::parse_pem_key(pem->text, why);
    if (!key) {
        ctx.errors.add(pem->mark, pem->path, why);
        return nullptr;
    }
    auto set = std::make_shared<auth::KeySet>();
    set->keys.push_back(std::move(*key));
    return set;
}

// Registry slots: one JWKS source per URL and one answer cache per endpoint and client, for
// the life of the process.
struct JwksSlot {
    std::shared_ptr<auth::JwksSource> source;
};
struct IntrospectionSlot {
    std::shared_ptr<auth::IntrospectionCache> cache;
    std::shared_ptr<auth::IntrospectionFlights> flights;
};

std::shared_ptr<auth::JwksSource> jwks_source(const Context& ctx, auth::JwksSource::Options o) {
    // The first configuration that names a URL fixes its refresh settings until restart;
    // reloads share its keys and its refresh loop.
    auto slot = ctx.registry->state<JwksSlot>(o.url);
    if (!slot->source) {
        slot->source = std::make_shared<auth::JwksSource>(std::move(o), real_fetch());
        ctx.registry->on_start([s = slot->source](const auto& ex) { s->start(ex); });
        auto metrics = ctx.registry->state<auth::JwksMetrics>("jwks");
        metrics->add(slot->source);
        ctx.registry->add_metrics("jwks", [metrics](std::string& out) { metrics->render(out); });
    }
    return slot->source;
}

// How many of jwks_url, public_key and secret are given; exactly one must be.
bool one_key_source(const Context& ctx, const MapReader& r) {
    int n = r.has("jwks_url") + r.has("public_key") + r.has("secret");
    if (n == 1) return true;
    ctx.error(r.value().node, r.value().path,
              n == 0 ? "expected one of jwks_url, public_key(_file) or secret(_file)"
                     : "expected only one of jwks_url, public_key(_file) and secret(_file)");
    return false;
}

bool read_claim_rules(const Context& ctx, const MapReader& r, auth::ClaimRules& rules) {
    if (auto s = r.string("issuer")) rules.issuer = *s;
    if (auto a = r.find("audiences")) {
        for (auto& s : read_string_or_list(ctx, *a)) rules.audiences.push_back(s.text);
    }
    rules.leeway = std::chrono::seconds(30);
    if (auto d = r.duration("leeway")) {
        rules.leeway = std::chrono::duration_cast<std::chrono::seconds>(*d);
    }
    return true;
}

// The fixed keys (PEM or secret) and the JWKS options; ok=false after reporting an error.
bool read_keys(const Context& ctx, const MapReader& r, auth::JwtConfig& out,
               auth::JwksSource::Options& jwks, std::optional<auth::KeyKind>& kind) {
    if (r.has("public_key")) {
        out.fixed_keys = read_public_key(ctx, r);
        if (!out.fixed_keys) return false;
        kind = out.fixed_keys->keys.front().kind;
    } else if (r.has("secret")) {
        auto s = r.scalar("secret");
        if (!s) return false;
        auto set = std::make_shared<auth::KeySet>();
        set->keys.push_back({"", auth::KeyKind::secret, nullptr, s->text, std::nullopt});
        out.fixed_keys = std::move(set);
        kind = auth::KeyKind::secret;
    } else {
        auto url = read_url(ctx, r, "jwks_url");
        if (!url) return false;
        jwks.url = *url;
        if (auto d = r.duration("jwks_refresh", true)) jwks.refresh = *d;
        if (auto d = r.duration("jwks_min_refresh", true)) jwks.min_refresh = *d;
        if (auto d = r.duration("timeout", true)) jwks.timeout = *d;
        read_tls(ctx, r, jwks.tls);
    }
    return true;
}

}  // namespace

auth::AuthenticatorPtr parse_jwt_authenticator(const Context& ctx, const Value& v,
                                               const std::string& name) {
    const std::size_t errors_before = ctx.errors.size();
    MapReader r(ctx, v, kJwtKeys);
    if (!r.valid() || !one_key_source(ctx, r)) return nullptr;
    auth::JwtConfig config;
    config.name = name;
    auth::JwksSource::Options jwks;
    std::optional<auth::KeyKind> kind;
    bool ok = read_keys(ctx, r, config, jwks, kind) && read_claim_rules(ctx, r, config.rules);
    if (!ok) return nullptr;
    config.algorithms = r.has("algorithms") ? read_algorithms(ctx, r, kind, ok)
                                            : default_algorithms(kind.value_or(
                                                  auth::KeyKind::rsa));
    if (kind == auth::KeyKind::secret) {
        ok = check_secret(ctx, r, *r.scalar("secret"), config.algorithms) && ok;
    }
    if (!ok || ctx.errors.size() != errors_before) return nullptr;
    if (!kind) {
        config.refresh_wait = jwks.timeout + std::chrono::milliseconds(250);
        config.jwks = jwks_source(ctx, std::move(jwks));
    }
    return std::make_shared<auth::JwtAuthenticator>(std::move(config));
}

// --- oauth2_introspection -------------------------------------------------------------------

auth::AuthenticatorPtr parse_introspection_authenticator(const Context& ctx, const Value& v,
                                                         const std::string& name) {
    const std::size_t errors_before = ctx.errors.size();
    MapReader r(ctx, v, {{"type", "url", "client_id", "client_secret", "cache",
                          "cache_entries", "timeout", "tls"},
                         {}});
    if (!r.valid()) return nullptr;
    auth::IntrospectionConfig config;
    config.name = name;
    r.require("url");
    r.require("client_id");
    r.require("client_secret");
    if (auto url = r.has("url") ? read_url(ctx, r, "url") : std::nullopt) config.url = *url;
    if (auto s = r.string("client_id")) config.client_id = *s;
    if (auto s = r.string("client_secret")) config.client_secret = *s;
    if (auto d = r.duration("cache")) config.cache_ttl = *d;
    if (auto d = r.duration("timeout", true)) config.timeout = *d;
    std::uint64_t entries = 10'000;
    if (auto n = r.uint("cache_entries", 1, kMaxCacheEntries)) entries = *n;
    read_tls(ctx, r, config.tls);
    if (ctx.errors.size() != errors_before) return nullptr;
    // Shared by the authenticators (and reloads) that ask the same endpoint as the same client.
    auto slot = ctx.registry->state<IntrospectionSlot>(config.url + " " + config.client_id);
    if (!slot->cache) slot->cache = std::make_shared<auth::IntrospectionCache>(entries);
    if (!slot->flights) slot->flights = std::make_shared<auth::IntrospectionFlights>();
    config.cache = slot->cache;
    config.flights = slot->flights;  // one call per token for every authenticator sharing it
    config.fetch = real_fetch();
    return std::make_shared<auth::IntrospectionAuthenticator>(std::move(config));
}

}  // namespace gw::config
