// config/token_authenticators.h
#pragma once
#include <string>
#include "config/errors.h"
#include "config/node_reader.h"
#include "middleware/auth/authenticator.h"
namespace gw::config {
// Each parses the map under `authenticators.<name>` (the `type` key included) and returns null
// after reporting errors.
middleware::auth::AuthenticatorPtr parse_jwt_authenticator(const Context& ctx, const Value& v,
                                                           const std::string& name);
middleware::auth::AuthenticatorPtr parse_introspection_authenticator(const Context& ctx,
                                                                     const Value& v,
                                                                     const std::string& name);
}
