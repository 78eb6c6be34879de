#include "middleware/rate_limit/rate_limit_state.h"

#include "server/metrics.h"

namespace gw::middleware::rate_limit {
namespace {

void append_labels(std::string& out, const std::pair<std::string, std::string>& name) {
    out += "{route=\"";
    server::append_label_value(out, name.first);
    out += "\",limit=\"";
    server::append_label_value(out, name.second);
    out += '"';
}

}  // namespace

std::shared_ptr<LocalStore> RateLimitState::local_store() {
    std::lock_guard lock(mutex_);
    if (!local_) local_ = std::make_shared<LocalStore>();
    return local_;
}

std::shared_ptr<DecisionStats> RateLimitState::stats_for(const std::string& route,
                                                         const std::string& label, bool redis) {
    std::lock_guard lock(mutex_);
    Entry& slot = stats_[{route, label}];
    if (!slot.stats) slot.stats = std::make_shared<DecisionStats>();
    slot.redis = slot.redis || redis;
    return slot.stats;
}

void RateLimitState::render_metrics(std::string& out) const {
    std::lock_guard lock(mutex_);
    out += "# HELP gateway_rate_limit_decisions_total Rate-limit decisions, by route, limit and "
           "result.\n# TYPE gateway_rate_limit_decisions_total counter\n";
    for (const auto& [name, entry] : stats_) {
        for (bool allowed : {true, false}) {
            out += "gateway_rate_limit_decisions_total";
            append_labels(out, name);
            out += allowed ? ",result=\"allowed\"} " : ",result=\"limited\"} ";
            out += std::to_string(allowed ? entry.stats->allowed() : entry.stats->limited());
            out += '\n';
        }
    }
    out += "# HELP gateway_rate_limit_redis_errors_total Decisions redis.on_error made because "
           "Redis failed, by route and limit.\n"
           "# TYPE gateway_rate_limit_redis_errors_total counter\n";
    for (const auto& [name, entry] : stats_) {
        if (!entry.redis) continue;
        out += "gateway_rate_limit_redis_errors_total";
        append_labels(out, name);
        out += "} ";
        out += std::to_string(entry.stats->store_errors());
        out += '\n';
    }
    out += "# HELP gateway_rate_limit_forced_evictions_total Busy local rate-limit keys "
           "forgotten because the table was full.\n"
           "# TYPE gateway_rate_limit_forced_evictions_total counter\n"
           "gateway_rate_limit_forced_evictions_total ";
    out += std::to_string(local_ ? local_->table().forced_evictions() : 0);
    out += '\n';
}

}  // namespace gw::middleware::rate_limit
