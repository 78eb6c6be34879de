// Per-worker target choice for every upstream: smooth weighted round robin, least request
// (power of two choices over this worker's requests in flight) and weighted random, among the
// targets that may take traffic: healthy ones whose circuit is not open, else any whose
// circuit is not open. Also holds each upstream's retry budget for this worker.
//
// Threads: one Balancer per worker, touched only by its thread: no locks, no atomics beyond
// reading the shared TargetState of each candidate.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/types.h"
#include "server/metrics.h"
#include "server/retry_policy.h"
#include "server/target_state.h"

namespace gw::server {

class Balancer {
public:
    static constexpr std::size_t kNone = ~std::size_t{0};
    using Mask = std::uint64_t;  // targets tried already (the first 64 of an upstream)
    using UpstreamPtr = std::shared_ptr<const config::Upstream>;

    explicit Balancer(std::uint64_t seed) : rng_(seed | 1) {}

    // The target for the next attempt, or kNone when every target's circuit is open. Targets
    // in `tried` are taken only when no other one qualifies (a retry goes elsewhere).
    std::size_t pick(const UpstreamPtr& upstream, Mask tried, Nanos now);
    // Requests in flight per target, for least_request.
    void begin(const UpstreamPtr& upstream, std::size_t target);
    void end(const UpstreamPtr& upstream, std::size_t target);
    RetryBudget& budget(const UpstreamPtr& upstream) { return entry(upstream).budget; }

private:
    struct Entry {
        UpstreamPtr upstream;  // the definition the vectors below were sized for
        std::vector<std::int64_t> current;  // smooth round robin weights
        std::vector<int> in_flight;
        RetryBudget budget;
    };
    Entry& entry(const UpstreamPtr& upstream);
    void collect(const config::Upstream& up, Mask tried, Nanos now);
    std::size_t choose(const config::Upstream& up, Entry& e);
    std::uint64_t next_random();

    std::unordered_map<std::string, Entry, StringHash, std::equal_to<>> entries_;
    std::vector<std::uint32_t> candidates_;  // scratch, reused: no allocation per pick
    std::uint64_t rng_;
};

}  // namespace gw::server
