// Certificate and key checks at load time, so a bad path or a truncated PEM fails `--check`
// instead of the first TLS handshake.
#pragma once

#include <string>

#include "config/errors.h"
#include "config/node_reader.h"

namespace gw::config {

enum class PemKind { certificate, private_key };

// `s.text` is the path as written; `resolved` the path to open (relative to the YAML file's
// directory). Reports "cannot read certificate 'x.crt': No such file or directory" or
// "'x.crt' is not a PEM certificate" at s. Returns true when the file is usable.
bool check_pem(const Context& ctx, const Scalar& s, const std::string& resolved, PemKind kind);

// Reports at key_file when the private key does not belong to the certificate. Call only after
// both passed check_pem.
void check_key_matches(const Context& ctx, const std::string& cert, const Scalar& key_file,
                       const std::string& key);

}  // namespace gw::config
