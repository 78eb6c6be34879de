// upstreams.*.credentials — secrets the gateway adds to every call to an upstream, so callers
// never hold them. Each value may come from the environment or a `*_file`.
#include "config/sections.h"
#include "config/text.h"

namespace gw::config {
namespace {

// The type is read before the other keys, because it decides which keys are allowed.
std::optional<Scalar> read_type(const Context& ctx, const Value& v) {
    for (auto it = v.node.begin(); it != v.node.end(); ++it) {
        if (it->first.IsScalar() && it->first.Scalar() == "type") {
            return read_scalar(ctx, Value{it->second, v.path + ".type"});
        }
    }
    ctx.error(v.node, v.path + ".type", "is required");
    return std::nullopt;
}

// header: a header name (lower-cased, like every header name we hold); query: a parameter name,
// kept as written because query parameters are case-sensitive.
void read_named_credential(const Context& ctx, const MapReader& r, bool header,
                           Credentials& out) {
    if (auto name = r.scalar("name")) {
        if (header ? !is_token(name->text) : name->text.empty()) {
            ctx.errors.add(name->mark, name->path, std::string("expected a ") +
                               (header ? "header" : "parameter") + " name, got '" +
                               name->text + "'");
        } else {
            out.name = header ? to_lower(name->text) : name->text;
        }
    }
    if (auto value = r.string("value")) out.value = *value;
}

void read_basic_credential(const Context& ctx, const MapReader& r, Credentials& out) {
    auto user = r.scalar("username");
    auto password = r.string("password");
    if (user && user->text.find(':') != std::string::npos) {
        // Basic auth joins the two with ':', so a ':' in the user name cannot be sent.
        ctx.errors.add(user->mark, user->path, "a user name cannot contain ':'");
        return;
    }
    if (user && password) out.value = user->text + ":" + *password;
}

}  // namespace

void parse_credentials(const Context& ctx, const Value& v, const std::string& upstream,
                       Credentials& out) {
    if (!v.node.IsMap() && !v.node.IsNull()) {
        MapReader report(ctx, v, {});  // reports "expected a mapping"
        return;
    }
    auto type = read_type(ctx, v);
    if (!type) return;
    if (type->text == "oauth2_client_credentials") {
        parse_oauth2_client(ctx, v, upstream, out);
        return;
    }
    static const std::map<std::string, KeySpec> kSpecs = {
        {"bearer", {{"type", "token"}, {}}},
        {"header", {{"type", "name", "value"}, {}}},
        {"basic", {{"type", "username", "password"}, {}}},
        {"query", {{"type", "name", "value"}, {}}},
    };
    auto spec = kSpecs.find(type->text);
    if (spec == kSpecs.end()) {
        ctx.errors.add(type->mark, type->path,
                       "expected bearer | header | basic | query | oauth2_client_credentials, "
                       "got '" + type->text + "'");
        return;
    }
    MapReader r(ctx, v, spec->second);
    for (const auto& key : spec->second.known) r.require(key);
    if (type->text == "bearer") {
        out.type = Credentials::Type::bearer;
        if (auto token = r.string("token")) out.value = *token;
    } else if (type->text == "basic") {
        out.type = Credentials::Type::basic;
        read_basic_credential(ctx, r, out);
    } else {
        bool header = type->text == "header";
        out.type = header ? Credentials::Type::header : Credentials::Type::query;
        read_named_credential(ctx, r, header, out);
    }
    // A secret with a line break would inject headers into every upstream call. The value
    // itself is never quoted in the error.
    if (out.value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
        ctx.error(v.node, v.path, "the credential contains a line break or NUL character");
}

}  // namespace gw::config
