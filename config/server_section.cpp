// server:, admin: and log: — the main file's listener and process settings.
#include "config/net.h"
#include "config/pem.h"
#include "config/sections.h"
#include "config/text.h"

namespace gw::config {
namespace {

constexpr unsigned kMaxWorkers = 1024;
constexpr std::uint64_t kMaxConnections = 10'000'000;

std::optional<Endpoint> endpoint_of(const Context& ctx, const Scalar& s) {
    std::string error;
    // Port 0 is allowed on listeners: the kernel picks a free port, which tests rely on.
    auto e = parse_endpoint(s.text, /*allow_port_zero=*/true, error);
    if (!e) ctx.errors.add(s.mark, s.path, error);
    return e;
}

void parse_listen(const Context& ctx, const MapReader& r, std::vector<Endpoint>& out) {
    auto v = r.find("listen");
    if (!v) {
        out.push_back(Endpoint{"0.0.0.0", 8080});
        return;
    }
    auto items = read_string_or_list(ctx, *v);
    for (const auto& s : items) {
        if (auto e = endpoint_of(ctx, s)) out.push_back(*e);
    }
    if (items.empty() && (v->node.IsNull() || v->node.IsSequence())) {
        ctx.error(v->node, v->path, "expected at least one \"host:port\"");
    }
}

// Checks a PEM file key and returns its path resolved against the YAML file's directory.
std::string pem_path(const Context& ctx, const MapReader& r, std::string_view key, PemKind kind,
                     bool& ok) {
    auto s = r.scalar(key);
    if (!s) {
        ok = false;
        return "";
    }
    std::string resolved = ctx.resolve(s->text);
    if (!check_pem(ctx, *s, resolved, kind)) ok = false;
    return resolved;
}

std::optional<ServerTls> parse_server_tls(const Context& ctx, const Value& v) {
    MapReader r(ctx, v, {{"cert_file", "key_file", "min_version", "client_ca_file"}, {}});
    if (!r.valid()) return std::nullopt;
    bool has_pair = r.require("cert_file") & r.require("key_file");
    ServerTls tls;
    bool cert_ok = true, key_ok = true, ca_ok = true;
    tls.cert_file = pem_path(ctx, r, "cert_file", PemKind::certificate, cert_ok);
    tls.key_file = pem_path(ctx, r, "key_file", PemKind::private_key, key_ok);
    if (has_pair && cert_ok && key_ok) {
        check_key_matches(ctx, tls.cert_file, *r.scalar("key_file"), tls.key_file);
    }
    if (auto m = r.one_of("min_version", {"1.2", "1.3"})) tls.min_version = *m;
    if (r.has("client_ca_file")) {
        tls.client_ca_file = pem_path(ctx, r, "client_ca_file", PemKind::certificate, ca_ok);
    }
    return tls;
}

void parse_limits(const Context& ctx, const Value& v, Limits& out) {
    MapReader r(ctx, v, {{"max_header_bytes", "max_body_bytes", "header_timeout",
                          "idle_timeout", "max_connections"}, {}});
    if (auto n = r.size("max_header_bytes", true)) out.max_header_bytes = *n;
    if (auto n = r.size("max_body_bytes")) out.max_body_bytes = *n;
    if (auto d = r.duration("header_timeout", true)) out.header_timeout = *d;
    if (auto d = r.duration("idle_timeout", true)) out.idle_timeout = *d;
    if (auto n = r.uint("max_connections", 1, kMaxConnections)) out.max_connections = *n;
}

void parse_trusted_proxies(const Context& ctx, const Value& v, std::vector<Cidr>& out) {
    for (const auto& s : read_string_or_list(ctx, v)) {
        std::string error;
        if (auto c = parse_cidr(s.text, error)) {
            out.push_back(*c);
        } else {
            ctx.errors.add(s.mark, s.path, error);
        }
    }
}

}  // namespace

void parse_server(const Context& ctx, const Value& v, ServerConfig& out) {
    MapReader r(ctx, v, {{"listen", "workers", "tls", "limits", "trusted_proxies",
                          "drain_timeout"}, {}});
    if (!r.valid()) return;
    parse_listen(ctx, r, out.listen);
    if (auto n = r.uint("workers", 0, kMaxWorkers)) out.workers = static_cast<unsigned>(*n);
    if (auto t = r.find("tls")) out.tls = parse_server_tls(ctx, *t);
    if (auto l = r.find("limits")) parse_limits(ctx, *l, out.limits);
    if (auto p = r.find("trusted_proxies")) parse_trusted_proxies(ctx, *p, out.trusted_proxies);
    if (auto d = r.duration("drain_timeout")) out.drain_timeout = *d;
}

void parse_admin(const Context& ctx, const Value& v, AdminConfig& out) {
    MapReader r(ctx, v, {{"listen", "token"}, {}});
    if (auto s = r.scalar("listen")) out.listen = endpoint_of(ctx, *s);
    if (auto t = r.string("token")) out.token = *t;
}

void parse_log(const Context& ctx, const Value& v, LogConfig& out) {
    MapReader r(ctx, v, {{"level", "access", "redact_headers"}, {}});
    if (auto level = r.one_of("level", {"debug", "info", "warn", "error"})) {
        if (*level == "debug") out.level = LogLevel::debug;
        if (*level == "info") out.level = LogLevel::info;
        if (*level == "warn") out.level = LogLevel::warn;
        if (*level == "error") out.level = LogLevel::error;
    }
    if (auto s = r.scalar("access")) {
        // Anything but the two words is a file path; it is opened by the server, which owns it.
        if (s->text.empty()) ctx.errors.add(s->mark, s->path, "expected stdout, off or a path");
        else out.access = s->text;
    }
    if (auto list = r.find("redact_headers")) {
        for (const auto& s : read_string_or_list(ctx, *list)) {
            if (!is_token(s.text)) {
                ctx.errors.add(s.mark, s.path, "expected a header name, got '" + s.text + "'");
                continue;
            }
            out.redact_headers.push_back(to_lower(s.text));
        }
    }
}

}  // namespace gw::config
