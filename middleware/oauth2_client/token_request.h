// The token endpoint exchange of the OAuth2 client-credentials grant (RFC 6749 section 4.4):
// the request the gateway sends, and what it makes of the answer. Pure functions over the
// HTTP client's types, so they are unit-tested without sockets.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "config/types.h"
#include "server/http_client.h"

namespace gw::middleware::oauth2_client {

// POST token_url, form body `grant_type=client_credentials[&scope=..][&audience=..]`; the
// client authenticates with HTTP Basic (client_secret_basic: id and secret form-encoded
// first, RFC 6749 section 2.3.1) or with client_id/client_secret in the body
// (client_secret_post).
server::FetchRequest token_request(const config::OAuth2Client& settings,
                                   config::Duration timeout);

// Used when the endpoint gives no expires_in (RFC 6749 leaves the default to the server): the
// token is then fetched again after this, or earlier when the upstream answers 401.
inline constexpr std::chrono::seconds kDefaultLifetime{300};
// A longer expires_in is cut to this, so a broken endpoint cannot pin a token forever.
inline constexpr std::chrono::seconds kMaxLifetime{24 * 3600};

struct Grant {
    std::string access_token;
    std::chrono::seconds lifetime{0};
};

// The answer's token, or why there is none in `error`: short text for the log that never
// holds the token, the secret or the body (only the status and the endpoint's `error` code).
struct GrantResult {
    std::optional<Grant> grant;
    std::string error;
};
GrantResult parse_token_response(const server::FetchResponse& res);

}  // namespace gw::middleware::oauth2_client
