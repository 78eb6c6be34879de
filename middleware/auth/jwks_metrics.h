// The JWKS sources' metrics, rendered at /metrics:
//   gateway_jwks_fetches_total{url,result="ok"|"error"}  fetch attempts (start, interval, early)
//   gateway_jwks_keys{url}                                keys held now; 0 = none fetched yet
// Threads: sources are added during loads and render() runs on the admin endpoint, both on the
// control thread (or in main before it starts); the counters read are atomics.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "middleware/auth/jwks_source.h"

namespace gw::middleware::auth {

class JwksMetrics {
public:
    void add(std::shared_ptr<const JwksSource> source) { sources_.push_back(std::move(source)); }
    void render(std::string& out) const;

private:
    std::vector<std::shared_ptr<const JwksSource>> sources_;
};

}  // namespace gw::middleware::auth
