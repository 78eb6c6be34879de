// Placeholder until the jwt and oauth2_introspection authenticators land (their own
// config/token_authenticators.cpp replaces this file): a configuration using them is refused
// with a clear message instead of being half-understood.
#include "config/token_authenticators.h"

#include <utility>

namespace gw::config {
namespace {

middleware::auth::AuthenticatorPtr not_yet(const Context& ctx, const Value& v,
                                           const char* type) {
    ctx.error(std::as_const(v.node)["type"], v.path + ".type",
              std::string(type) + ": not supported yet");
    return nullptr;
}

}  // namespace

middleware::auth::AuthenticatorPtr parse_jwt_authenticator(const Context& ctx, const Value& v,
                                                           const std::string&) {
    return not_yet(ctx, v, "jwt");
}

middleware::auth::AuthenticatorPtr parse_introspection_authenticator(const Context& ctx,
                                                                     const Value& v,
                                                                     const std::string&) {
    return not_yet(ctx, v, "oauth2_introspection");
}

}  // namespace gw::config
