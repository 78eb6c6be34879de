// Rate-limit state that outlives configuration snapshots, held by the middleware::Registry:
// the local store's counters and the decision counters per (route, limit). A reload compiles
// new steps that find the same objects here, so unchanged limits keep their counts (see
// Limit::id) and the metrics keep counting.
//
// Threads: loads (one at a time) call local_store() and stats_for(); the scraper calls
// render_metrics(); workers use the returned objects, which are thread-safe themselves.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "middleware/rate_limit/decision_stats.h"
#include "middleware/rate_limit/local_store.h"

namespace gw::middleware::rate_limit {

class RateLimitState {
public:
    // The one local store of the process, made on first use (its table is allocated then).
    std::shared_ptr<LocalStore> local_store();
    // redis: the limit has `store: redis`, so its on_error decisions are exported too (once
    // marked, for the life of the process).
    std::shared_ptr<DecisionStats> stats_for(const std::string& route, const std::string& label,
                                             bool redis = false);
    // gateway_rate_limit_decisions_total, gateway_rate_limit_redis_errors_total (limits with
    // store: redis) and gateway_rate_limit_forced_evictions_total.
    void render_metrics(std::string& out) const;

private:
    mutable std::mutex mutex_;  // loads vs. scrape; never taken by a request
    std::shared_ptr<LocalStore> local_;
    // Kept for the life of the process, like any Prometheus counter: a route or limit removed
    // by a reload stays in the output with its last values.
    struct Entry {
        std::shared_ptr<DecisionStats> stats;
        bool redis = false;
    };
    std::map<std::pair<std::string, std::string>, Entry> stats_;
};

}  // namespace gw::middleware::rate_limit
