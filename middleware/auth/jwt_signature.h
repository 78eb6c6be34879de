// JWS signature checks (RFC 7518) through OpenSSL: RSASSA-PKCS1-v1_5, RSASSA-PSS, ECDSA
// (raw r||s converted to DER), Ed25519 and HMAC compared in constant time. Any thread.
#pragma once

#include <string_view>

#include "middleware/auth/jwt_key.h"

namespace gw::middleware::auth {

// True when `signature` over `signing_input` ("header.payload", as sent) verifies with `key`
// under `alg`. False, never a throw, for every other input, including a key of the wrong kind
// for the algorithm and a signature of the wrong length.
bool verify_signature(JwtAlg alg, const JwtKey& key, std::string_view signing_input,
                      std::string_view signature);

}  // namespace gw::middleware::auth
