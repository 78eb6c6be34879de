// redis: — the one Redis server that every `store: redis` (rate limits, cache) uses. The
// password may sit in the URL (with ${ENV}) or in `password` / `password_file`; it is never
// echoed in error messages.
#include "config/pem.h"
#include "config/redis_url.h"
#include "config/sections.h"
#include "middleware/registry.h"
#include "stores/redis/metrics.h"

namespace gw::config {
namespace {

constexpr std::uint64_t kMaxConnections = 64;

void parse_redis_tls(const Context& ctx, const Value& v, UpstreamTls& out) {
    MapReader r(ctx, v, {{"verify", "ca_file", "cert_file", "key_file", "sni"}, {}});
    if (!r.valid()) return;
    if (auto b = r.boolean("verify")) out.verify = *b;
    if (auto s = r.string("sni")) out.sni = *s;
    auto pem = [&](std::string_view key, PemKind kind, std::string& path) {
        auto s = r.scalar(key);
        if (!s) return;
        std::string resolved = ctx.resolve(s->text);
        if (check_pem(ctx, *s, resolved, kind)) path = resolved;
    };
    pem("ca_file", PemKind::certificate, out.ca_file);
    pem("cert_file", PemKind::certificate, out.cert_file);
    pem("key_file", PemKind::private_key, out.key_file);
    if (r.has("cert_file") != r.has("key_file")) {
        ctx.error(v.node, v.path, "give both cert_file and key_file, or neither");
    }
}

void parse_url(const Context& ctx, const MapReader& r, RedisConfig& out) {
    if (!r.require("url")) return;
    auto s = r.scalar("url");
    if (!s) return;
    std::string error;
    if (!parse_redis_url(s->text, out, error)) ctx.errors.add(s->mark, s->path, error);
}

void parse_credentials(const Context& ctx, const MapReader& r, RedisConfig& out) {
    for (const char* key : {"username", "password"}) {
        auto s = r.scalar(key);
        if (!s) continue;
        std::string& field = std::string_view(key) == "username" ? out.username : out.password;
        if (!field.empty()) {
            ctx.errors.add(s->mark, s->path, std::string("already given in the url"));
            continue;
        }
        field = s->text;
    }
}

std::string key_of(const RedisConfig& c) {
    // Everything a connection depends on; timeout and on_error apply per call instead.
    std::string key = (c.tls ? "rediss://" : "redis://") + c.username + ":" + c.password + "@" +
                      c.host + ":" + std::to_string(c.port) + "/" + std::to_string(c.db) + "#" +
                      std::to_string(c.connections);
    if (c.tls) {
        const UpstreamTls& t = c.tls_options;
        key += (t.verify ? "#v#" : "#n#") + t.ca_file + "#" + t.cert_file + "#" + t.key_file +
               "#" + t.sni;
    }
    return key;
}

}  // namespace

void parse_redis(const Context& ctx, const Value& v, std::optional<RedisConfig>& out) {
    MapReader r(ctx, v, {{"url", "username", "password", "timeout", "on_error", "connections",
                          "tls"}, {}});
    if (!r.valid()) return;
    RedisConfig redis;
    parse_url(ctx, r, redis);
    parse_credentials(ctx, r, redis);
    if (auto d = r.duration("timeout", true)) redis.timeout = *d;
    if (auto w = r.one_of("on_error", {"allow", "deny"})) {
        redis.on_error = *w == "deny" ? RedisConfig::OnError::deny : RedisConfig::OnError::allow;
    }
    if (auto n = r.uint("connections", 1, kMaxConnections)) {
        redis.connections = static_cast<unsigned>(*n);
    }
    if (auto t = r.find("tls")) {
        parse_redis_tls(ctx, *t, redis.tls_options);
        if (!redis.tls) ctx.error(t->node, t->path, "only for a rediss:// url");
    }
    redis.key = key_of(redis);
    out = std::move(redis);
    // Worker threads count into per-thread blocks; /metrics sums them (stores/redis/metrics.h).
    if (ctx.registry != nullptr) ctx.registry->add_metrics("redis", stores::redis::render_metrics);
}

const RedisConfig* require_redis(const Context& ctx, const Scalar& store) {
    if (ctx.redis == nullptr) {
        ctx.errors.add(store.mark, store.path,
                       "store: redis needs a top-level redis: section with its url");
    }
    return ctx.redis;
}

}  // namespace gw::config
