// upstreams.*.credentials of type oauth2_client_credentials: the token endpoint and the
// gateway's client credentials for it. The token source that uses them is taken from the
// Registry by every setting and a digest of the secret: a reload keeps the cached token
// unless a setting changed or the secret was rotated (a `_file` is read again on reload).
#include <openssl/evp.h>

#include <boost/url/parse.hpp>

#include "config/sections.h"
#include "middleware/oauth2_client/token_sources.h"
#include "middleware/registry.h"

namespace gw::config {
namespace {

using AuthMethod = OAuth2Client::AuthMethod;

const KeySpec kKeys{{"type", "token_url", "client_id", "client_secret", "scopes", "audience",
                     "auth_method", "refresh_before", "tls"},
                    {}};

bool read_token_url(const Context& ctx, const MapReader& r, OAuth2Client& out) {
    auto s = r.scalar("token_url");
    if (!s) return false;
    auto url = boost::urls::parse_uri(s->text);
    std::string why;
    if (!url)
        why = "expected an absolute URL like https://auth.example.com/oauth/token";
    else if (url->scheme() != "http" && url->scheme() != "https")
        why = "expected an http:// or https:// URL";
    else if (!url->has_authority() || url->encoded_host().empty())
        why = "expected a host in the URL";
    else if (url->has_fragment())
        why = "expected no fragment in the token URL";
    if (url && url->has_userinfo()) {
        // Not echoed: the URL holds a credential.
        ctx.errors.add(s->mark, s->path, "put the client's credentials under client_id and "
                                         "client_secret, not in the URL");
        return false;
    }
    if (!why.empty()) {
        ctx.errors.add(s->mark, s->path, why + ", got '" + s->text + "'");
        return false;
    }
    out.token_url = s->text;
    return true;
}

// RFC 6749 section 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
bool is_scope_token(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s) {
        if (c < 0x21 || c > 0x7e || c == '"' || c == '\\') return false;
    }
    return true;
}

void read_scopes(const Context& ctx, const MapReader& r, OAuth2Client& out) {
    auto v = r.find("scopes");
    if (!v) return;
    for (auto& s : read_string_or_list(ctx, *v)) {
        if (is_scope_token(s.text))
            out.scopes.push_back(std::move(s.text));
        else
            ctx.errors.add(s.mark, s.path, "expected a scope (printable, no spaces, quotes or "
                                           "backslashes), got '" + s.text + "'");
    }
}

// A required value that must not be empty; the value itself is never quoted in the error.
std::string read_nonempty(const Context& ctx, const MapReader& r, std::string_view key) {
    auto s = r.scalar(key);
    if (s && s->text.empty()) ctx.errors.add(s->mark, s->path, "must not be empty");
    return s ? s->text : std::string();
}

void read_tls(const Context& ctx, const MapReader& r, OAuth2Client& out) {
    auto v = r.find("tls");
    if (!v || out.token_url.empty()) return;  // a bad token_url was reported already
    if (out.token_url.rfind("https://", 0) != 0) {
        ctx.error(v->node, v->path, "only for an https:// token_url");
        return;
    }
    parse_upstream_tls(ctx, *v, out.tls);
}

std::string sha256_hex(std::string_view s) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(s.data(), s.size(), md, &n, EVP_sha256(), nullptr);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < n; ++i) {
        out += kHex[md[i] >> 4];
        out += kHex[md[i] & 15];
    }
    return out;
}

// Every setting that shapes the token, length-prefixed so no two settings share a key; the
// secret only as a digest.
std::string source_key(const OAuth2Client& c) {
    std::string key = "oauth2_client";
    auto add = [&key](std::string_view v) {
        key += '|';
        key += std::to_string(v.size());
        key += ':';
        key += v;
    };
    for (const auto& v : {c.token_url, c.client_id, c.audience, c.tls.ca_file, c.tls.sni,
                          c.tls.cert_file, c.tls.key_file})
        add(v);
    for (const auto& s : c.scopes) add(s);
    add(c.auth_method == AuthMethod::client_secret_post ? "post" : "basic");
    add(c.refresh_before ? std::to_string(c.refresh_before->count()) : "-");
    add(c.tls.verify ? "verify" : "no-verify");
    add(sha256_hex(c.client_secret));
    return key;
}

}  // namespace

void parse_oauth2_client(const Context& ctx, const Value& v, const std::string& upstream,
                         Credentials& out) {
    const auto errors_before = ctx.errors.size();
    MapReader r(ctx, v, kKeys);
    for (const char* key : {"token_url", "client_id", "client_secret"}) r.require(key);
    OAuth2Client c;
    read_token_url(ctx, r, c);
    c.client_id = read_nonempty(ctx, r, "client_id");
    c.client_secret = read_nonempty(ctx, r, "client_secret");
    read_scopes(ctx, r, c);
    if (auto a = r.string("audience")) c.audience = *a;
    if (auto m = r.one_of("auth_method", {"client_secret_basic", "client_secret_post"}))
        c.auth_method = *m == "client_secret_post" ? AuthMethod::client_secret_post
                                                   : AuthMethod::client_secret_basic;
    if (auto d = r.duration("refresh_before")) c.refresh_before = *d;
    read_tls(ctx, r, c);
    if (ctx.errors.size() != errors_before) return;
    out.type = Credentials::Type::oauth2;
    // Sources and their counters outlive snapshots: they live in the registry.
    using middleware::oauth2_client::TokenSources;
    auto sources = ctx.registry->state<TokenSources>("oauth2_client");
    ctx.registry->add_metrics("oauth2_client", [sources](std::string& out) {
        sources->render(out);
    });
    std::string key = source_key(c);  // before c is moved from
    out.token_source = sources->get(key, upstream, std::move(c));
}

}  // namespace gw::config
