#include "server/target_report.h"

#include "server/log.h"
#include "server/target_state.h"

namespace gw::server {
namespace {

void append_labels(std::string& out, const config::Upstream& up, const config::Target& t) {
    // Names are simple (checked at load); a URL has no quote or backslash once parsed, but
    // escape anyway: the label syntax must hold whatever was written.
    out += "{upstream=\"";
    log::append_json_escaped(out, up.name);
    out += "\",target=\"";
    log::append_json_escaped(out, t.url);
    out += "\"} ";
}

}  // namespace

void append_target_metrics(std::string& out, const config::Config& config) {
    out += "# HELP gateway_target_healthy Whether an upstream target takes traffic (1) or "
           "failed its health checks (0).\n# TYPE gateway_target_healthy gauge\n";
    for (const auto& up : config.upstreams)
        for (const auto& t : up->targets) {
            if (!t.state) continue;
            out += "gateway_target_healthy";
            append_labels(out, *up, t);
            out += t.state->healthy() ? "1\n" : "0\n";
        }
    out += "# HELP gateway_circuit_state Circuit breaker of an upstream target: 0 closed, "
           "1 open, 2 half_open.\n# TYPE gateway_circuit_state gauge\n";
    for (const auto& up : config.upstreams)
        for (const auto& t : up->targets) {
            if (!t.state) continue;
            out += "gateway_circuit_state";
            append_labels(out, *up, t);
            out += std::to_string(static_cast<int>(t.state->circuit()));
            out += '\n';
        }
}

std::string targets_json(const config::Config& config) {
    std::string out = "{";
    bool first_up = true;
    for (const auto& up : config.upstreams) {
        out += first_up ? "\"" : ",\"";
        first_up = false;
        log::append_json_escaped(out, up->name);
        out += "\":[";
        bool first = true;
        for (const auto& t : up->targets) {
            out += first ? "{\"target\":\"" : ",{\"target\":\"";
            first = false;
            log::append_json_escaped(out, t.url);
            bool healthy = !t.state || t.state->healthy();
            Circuit circuit = t.state ? t.state->circuit() : Circuit::closed;
            out += healthy ? "\",\"healthy\":true" : "\",\"healthy\":false";
            out += ",\"circuit\":\"";
            out += circuit_name(circuit);
            out += "\"}";
        }
        out += ']';
    }
    out += '}';
    return out;
}

}  // namespace gw::server
