// The token of an `Authorization: Bearer <token>` header (RFC 6750 section 2.1), shared by
// the jwt and oauth2_introspection authenticators. Any thread.
#pragma once

#include <optional>
#include <string_view>

#include "middleware/step.h"

namespace gw::middleware::auth {

// The token, a view into req; nullopt when there is no Authorization header or it uses
// another scheme (Basic belongs to another authenticator). The scheme is case-insensitive.
std::optional<std::string_view> bearer_token(const RequestHead& req);

// Removes a Bearer Authorization header (and leaves any other scheme alone).
void strip_bearer(RequestHead& req);

}  // namespace gw::middleware::auth
