// authenticators: — how a caller proves who it is. The `type` decides which keys the entry
// takes: api_key and basic are read here; jwt and oauth2_introspection by
// config/token_authenticators.h.
#include <utility>

#include "config/access_sections.h"
#include "config/suggest.h"
#include "config/text.h"
#include "config/token_authenticators.h"
#include "middleware/auth/api_key_authenticator.h"
#include "middleware/auth/basic_authenticator.h"

namespace gw::config {
namespace {

using middleware::auth::AuthenticatorPtr;

const std::vector<std::string> kTypes = {"api_key", "basic", "jwt", "oauth2_introspection"};

AuthenticatorPtr parse_api_key(const Context& ctx, const Value& v, const std::string& name,
                               const AccessTables& access) {
    MapReader r(ctx, v, {{"type", "header", "query"}, {}});
    if (r.has("header") == r.has("query")) {
        ctx.error(v.node, v.path, "give exactly one of 'header' and 'query'");
        return nullptr;
    }
    using Source = middleware::auth::ApiKeyAuthenticator::Source;
    if (auto h = r.scalar("header")) {
        if (!is_token(h->text)) {
            ctx.errors.add(h->mark, h->path, "expected a header name, got '" + h->text + "'");
            return nullptr;
        }
        return std::make_shared<middleware::auth::ApiKeyAuthenticator>(
            name, Source::header, to_lower(h->text), access.consumers);
    }
    auto q = r.scalar("query");
    if (!q) return nullptr;
    if (q->text.empty() || q->text.find_first_of("&=#% ") != std::string::npos) {
        ctx.errors.add(q->mark, q->path, "expected a query parameter name, got '" + q->text + "'");
        return nullptr;
    }
    return std::make_shared<middleware::auth::ApiKeyAuthenticator>(name, Source::query, q->text,
                                                                   access.consumers);
}

AuthenticatorPtr parse_basic(const Context& ctx, const Value& v, const std::string& name,
                             AccessTables& access) {
    MapReader r(ctx, v, {{"type", "users", "realm"}, {}});
    if (!r.require("users")) return nullptr;
    std::string realm = "gateway";
    if (auto s = r.scalar("realm")) {
        // It is quoted inside the WWW-Authenticate challenge.
        if (s->text.find_first_of("\"\\\r\n") != std::string::npos) {
            ctx.errors.add(s->mark, s->path, "a realm cannot hold quotes, '\\' or newlines");
            return nullptr;
        }
        realm = s->text;
    }
    const std::size_t errors_before = ctx.errors.size();
    std::map<std::string, std::string, std::less<>> users;
    for (auto& [user, hash_node] : read_entries(ctx, *r.find("users"))) {
        auto hash = read_scalar(ctx, hash_node);
        if (!hash) continue;
        if (user.text.empty() || user.text.find(':') != std::string::npos ||
            !is_simple_name(user.text)) {
            ctx.errors.add(user.mark, user.path, "expected a user name (letters, digits, '-', "
                                                 "'_', '.'), got '" + user.text + "'");
        } else if (auto why = middleware::auth::check_password_hash(hash->text)) {
            ctx.errors.add(hash->mark, hash->path, *why);  // never quotes the value
        } else {
            access.principals.push_back(user.text);
            users.emplace(user.text, std::move(hash->text));
        }
    }
    if (ctx.errors.size() != errors_before) return nullptr;
    if (users.empty()) {
        ctx.error(v.node, r.child_path("users"), "expected at least one user");
        return nullptr;
    }
    return std::make_shared<middleware::auth::BasicAuthenticator>(name, realm, std::move(users));
}

AuthenticatorPtr parse_one(const Context& ctx, const Value& v, const std::string& name,
                           AccessTables& access) {
    if (!v.node.IsMap()) {
        MapReader report(ctx, v, {});  // "expected a mapping"
        return nullptr;
    }
    if (!std::as_const(v.node)["type"]) {
        ctx.error(v.node, v.path + ".type", "is required");
        return nullptr;
    }
    auto type = read_scalar(ctx, Value{std::as_const(v.node)["type"], v.path + ".type"});
    if (!type) return nullptr;
    if (type->text == "api_key") return parse_api_key(ctx, v, name, access);
    if (type->text == "basic") return parse_basic(ctx, v, name, access);
    if (type->text == "jwt") return parse_jwt_authenticator(ctx, v, name);
    if (type->text == "oauth2_introspection")
        return parse_introspection_authenticator(ctx, v, name);
    ctx.errors.add(type->mark, type->path, "expected api_key | basic | jwt | "
                                           "oauth2_introspection, got '" + type->text + "'" +
                                               did_you_mean(type->text, kTypes));
    return nullptr;
}

}  // namespace

void parse_authenticators(const Context& ctx, const Value& v, AccessTables& access) {
    for (auto& [name, value] : read_entries(ctx, v)) {
        if (!is_simple_name(name.text)) {
            ctx.errors.add(name.mark, name.path,
                           "expected an authenticator name (letters, digits, '-', '_', '.'), "
                           "got '" + name.text + "'");
            continue;
        }
        auto [it, inserted] = access.authenticator_marks.emplace(name.text, name.mark);
        if (!inserted) {
            ctx.errors.add(name.mark, name.path, "authenticator '" + name.text +
                                                     "' is already defined at " +
                                                     it->second.str());
            continue;
        }
        access.authenticators[name.text] = parse_one(ctx, value, name.text, access);
    }
}

}  // namespace gw::config
