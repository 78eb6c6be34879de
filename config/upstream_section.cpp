// upstreams: — where proxied calls go. Target URLs are parsed once here so the proxy only
// reads host, port and base path.
#include <boost/url/parse.hpp>

#include "config/pem.h"
#include "config/sections.h"
#include "config/text.h"
#include "middleware/registry.h"
#include "server/target_state.h"

namespace gw::config {
namespace {

constexpr std::uint64_t kMaxWeight = 10'000;
constexpr std::uint64_t kMaxIdle = 100'000;

bool fail(const Context& ctx, const Scalar& s, const std::string& why) {
    ctx.errors.add(s.mark, s.path, why + ", got '" + s.text + "'");
    return false;
}

bool parse_url(const Context& ctx, const Scalar& s, Target& out) {
    auto parsed = boost::urls::parse_uri(s.text);
    if (!parsed) return fail(ctx, s, "expected an absolute URL like http://host:port/base");
    const auto& url = *parsed;
    if (url.scheme() != "http" && url.scheme() != "https") {
        return fail(ctx, s, "expected an http:// or https:// URL");
    }
    if (!url.has_authority() || url.encoded_host().empty()) {
        return fail(ctx, s, "expected a host in the URL");
    }
    // Credentials belong in credentials:, which keeps them out of logs; a query or fragment on
    // a base URL has no defined meaning when paths are appended.
    if (url.has_userinfo()) return fail(ctx, s, "put credentials under credentials:, not in URL");
    if (url.has_query() || url.has_fragment()) {
        return fail(ctx, s, "expected no query or fragment in an upstream URL");
    }
    out.url = s.text;
    out.tls = url.scheme() == "https";
    out.host = url.host_type() == boost::urls::host_type::ipv6
                   ? url.host_ipv6_address().to_string()
                   : std::string(url.host_address());
    // Boost.URL has parsed an IP literal already: keep its address, not the text to parse again.
    if (url.host_type() == boost::urls::host_type::ipv4)
        out.ip = boost::asio::ip::address_v4(url.host_ipv4_address().to_uint());
    else if (url.host_type() == boost::urls::host_type::ipv6)
        out.ip = boost::asio::ip::address_v6(url.host_ipv6_address().to_bytes());
    out.port = out.tls ? 443 : 80;
    if (url.has_port()) {
        if (url.port_number() == 0) return fail(ctx, s, "expected a port 1..65535");
        out.port = url.port_number();
    }
    out.base_path = std::string(url.encoded_path());
    while (!out.base_path.empty() && out.base_path.back() == '/') out.base_path.pop_back();
    // Precomputed once here so the proxy builds neither string per request.
    const bool v6 = out.host.find(':') != std::string::npos;
    const std::string bracketed = v6 ? "[" + out.host + "]" : out.host;
    out.authority = bracketed + ":" + std::to_string(out.port);
    out.host_header = out.port == (out.tls ? 443 : 80) ? bracketed : out.authority;
    return true;
}

void parse_targets(const Context& ctx, const Value& v, std::vector<Target>& out) {
    auto items = read_list(ctx, v);
    if (items.empty() && (v.node.IsNull() || v.node.IsSequence())) {
        ctx.error(v.node, v.path, "expected at least one target");
    }
    for (const auto& item : items) {
        MapReader r(ctx, item, {{"url", "weight"}, {}});
        if (!r.valid() || !r.require("url")) continue;
        Target t;
        auto url = r.scalar("url");
        if (!url || !parse_url(ctx, *url, t)) continue;
        if (auto w = r.uint("weight", 1, kMaxWeight)) t.weight = static_cast<unsigned>(*w);
        out.push_back(std::move(t));
    }
}

// Checks one PEM key of upstream tls: and returns its resolved path ("" when absent/bad).
std::string pem_path(const Context& ctx, const MapReader& r, std::string_view key,
                     PemKind kind) {
    auto s = r.scalar(key);
    if (!s) return "";
    std::string resolved = ctx.resolve(s->text);
    return check_pem(ctx, *s, resolved, kind) ? resolved : "";
}

void parse_timeouts(const Context& ctx, const Value& v, Upstream& out) {
    MapReader r(ctx, v, {{"connect", "response"}, {}});
    if (auto d = r.duration("connect", true)) out.connect_timeout = *d;
    if (auto d = r.duration("response", true)) out.response_timeout = *d;
}

void parse_keepalive(const Context& ctx, const Value& v, Upstream& out) {
    MapReader r(ctx, v, {{"max_idle", "idle_timeout"}, {}});
    if (auto n = r.uint("max_idle", 0, kMaxIdle)) out.keepalive_max_idle = *n;
    if (auto d = r.duration("idle_timeout", true)) out.keepalive_idle_timeout = *d;
}

void parse_balance(const MapReader& r, Upstream& out) {
    auto b = r.one_of("balance", {"round_robin", "least_request", "random"});
    if (!b) return;
    if (*b == "round_robin") out.balance = Balance::round_robin;
    if (*b == "least_request") out.balance = Balance::least_request;
    if (*b == "random") out.balance = Balance::random;
}

// Each target gets its shared health and breaker state from the registry, keyed by
// (upstream, url), so a reload keeps it for targets that did not change.
void attach_target_states(const Context& ctx, Upstream& out) {
    if (!ctx.registry) return;
    auto states = ctx.registry->state<server::TargetStates>("upstream_targets");
    for (auto& t : out.targets) t.state = states->get(out.name, t.url);
}

void parse_upstream(const Context& ctx, const Value& v, Upstream& out) {
    MapReader r(ctx, v, {{"targets", "balance", "timeouts", "keepalive", "tls", "credentials",
                          "retry", "circuit_breaker", "health_check"},
                         {}});
    if (!r.valid()) return;
    if (r.require("targets")) parse_targets(ctx, *r.find("targets"), out.targets);
    parse_balance(r, out);
    if (auto t = r.find("timeouts")) parse_timeouts(ctx, *t, out);
    if (auto k = r.find("keepalive")) parse_keepalive(ctx, *k, out);
    if (auto t = r.find("tls")) parse_upstream_tls(ctx, *t, out.tls);
    if (auto c = r.find("credentials")) parse_credentials(ctx, *c, out.name, out.credentials);
    if (auto t = r.find("retry")) parse_retry(ctx, *t, out.retry);
    if (auto c = r.find("circuit_breaker"))
        parse_circuit_breaker(ctx, *c, out.circuit_breaker.emplace());
    if (auto h = r.find("health_check")) parse_health_check(ctx, *h, out.health_check.emplace());
    attach_target_states(ctx, out);
}

}  // namespace

void parse_upstream_tls(const Context& ctx, const Value& v, UpstreamTls& out) {
    MapReader r(ctx, v, {{"verify", "ca_file", "sni", "cert_file", "key_file"}, {}});
    if (auto b = r.boolean("verify")) out.verify = *b;
    if (auto s = r.string("sni")) out.sni = *s;
    out.ca_file = pem_path(ctx, r, "ca_file", PemKind::certificate);
    out.cert_file = pem_path(ctx, r, "cert_file", PemKind::certificate);
    out.key_file = pem_path(ctx, r, "key_file", PemKind::private_key);
    // A client certificate is only usable with its key, and the other way round.
    if (r.has("cert_file") != r.has("key_file")) {
        r.require("cert_file");
        r.require("key_file");
    } else if (!out.cert_file.empty() && !out.key_file.empty()) {
        check_key_matches(ctx, out.cert_file, *r.scalar("key_file"), out.key_file);
    }
}

void parse_upstreams(const Context& ctx, const Value& v, UpstreamMap& out) {
    for (const auto& [name, value] : read_entries(ctx, v)) {
        if (!is_simple_name(name.text)) {
            ctx.errors.add(name.mark, name.path,
                           "expected a name of letters, digits, '-', '_' or '.'");
            continue;
        }
        if (auto it = out.find(name.text); it != out.end()) {
            ctx.errors.add(name.mark, name.path, "upstream '" + name.text +
                                                     "' is already defined at " +
                                                     it->second->mark.str());
            continue;
        }
        auto upstream = std::make_shared<Upstream>();
        upstream->name = name.text;
        upstream->mark = name.mark;
        parse_upstream(ctx, value, *upstream);
        out.emplace(name.text, std::move(upstream));
    }
}

}  // namespace gw::config
