#include "middleware/auth/failure_counters.h"

#include "server/metrics.h"

namespace gw::middleware::auth {
namespace {

std::size_t reason_index(std::string_view reason) {
    for (std::size_t i = 0; i + 1 < kFailureReasons.size(); ++i)
        if (kFailureReasons[i] == reason) return i;
    return kFailureReasons.size() - 1;
}

}  // namespace

void RouteFailures::add(std::string_view reason) {
    counts[reason_index(reason)].fetch_add(1, std::memory_order_relaxed);
}

std::uint64_t RouteFailures::get(std::string_view reason) const {
    return counts[reason_index(reason)].load(std::memory_order_relaxed);
}

std::shared_ptr<RouteFailures> FailureCounters::for_route(const std::string& route) {
    auto& slot = routes_[route];
    if (!slot) slot = std::make_shared<RouteFailures>();
    return slot;
}

void FailureCounters::render(std::string& out) const {
    out += "# HELP gateway_auth_failures_total Requests refused by the ip, auth and allow steps, "
           "by route and reason.\n# TYPE gateway_auth_failures_total counter\n";
    for (const auto& [route, failures] : routes_) {
        for (std::size_t i = 0; i < kFailureReasons.size(); ++i) {
            auto n = failures->counts[i].load(std::memory_order_relaxed);
            if (n == 0) continue;
            out += "gateway_auth_failures_total{route=\"";
            server::append_label_value(out, route);
            out += "\",reason=\"";
            out += kFailureReasons[i];
            out += "\"} ";
            out += std::to_string(n);
            out += '\n';
        }
    }
}

}  // namespace gw::middleware::auth
