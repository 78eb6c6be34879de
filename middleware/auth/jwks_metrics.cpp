#include "middleware/auth/jwks_metrics.h"

#include "server/metrics.h"

namespace gw::middleware::auth {
namespace {

void line(std::string& out, const char* name, const JwksSource& s, const char* result,
          std::uint64_t value) {
    out += name;
    out += "{url=\"";
    server::append_label_value(out, s.options().url);
    if (result != nullptr) {
        out += "\",result=\"";
        out += result;
    }
    out += "\"} ";
    out += std::to_string(value);
    out += '\n';
}

}  // namespace

void JwksMetrics::render(std::string& out) const {
    if (sources_.empty()) return;
    out += "# HELP gateway_jwks_fetches_total JWKS fetches by URL and result.\n"
           "# TYPE gateway_jwks_fetches_total counter\n";
    for (const auto& s : sources_) {
        line(out, "gateway_jwks_fetches_total", *s, "ok", s->successes());
        line(out, "gateway_jwks_fetches_total", *s, "error", s->failures());
    }
    out += "# HELP gateway_jwks_keys Signing keys held, by JWKS URL (0: none fetched yet).\n"
           "# TYPE gateway_jwks_keys gauge\n";
    for (const auto& s : sources_) {
        auto keys = s->keys();
        line(out, "gateway_jwks_keys", *s, nullptr, keys ? keys->keys.size() : 0);
    }
}

}  // namespace gw::middleware::auth
