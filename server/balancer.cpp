#include "server/balancer.h"

namespace gw::server {
namespace {
// Preference tiers: healthy before unhealthy, untried before tried (a retry goes elsewhere
// when it can, but a healthy target is better than an unhealthy one never tried).
constexpr int kTiers = 4;

int tier_of(const config::Target& t, bool tried) {
    bool healthy = !t.state || t.state->healthy();
    return (healthy ? 0 : 2) + (tried ? 1 : 0);
}
}  // namespace

Balancer::Entry& Balancer::entry(const UpstreamPtr& upstream) {
    auto it = entries_.find(upstream->name);
    if (it == entries_.end())
        it = entries_.emplace(upstream->name, Entry{}).first;
    Entry& e = it->second;
    if (e.upstream != upstream) {  // new definition (reload): fresh counters, same budget
        e.upstream = upstream;
        e.current.assign(upstream->targets.size(), 0);
        e.in_flight.assign(upstream->targets.size(), 0);
    }
    return e;
}

void Balancer::collect(const config::Upstream& up, Mask tried, Nanos now) {
    candidates_.clear();
    int best = kTiers;
    for (std::size_t i = 0; i < up.targets.size(); ++i) {
        const auto& t = up.targets[i];
        if (t.state && t.state->refusing(now)) continue;
        bool was_tried = i < 64 && (tried >> i & 1);
        int tier = tier_of(t, was_tried);
        if (tier > best) continue;
        if (tier < best) {
            best = tier;
            candidates_.clear();
        }
        candidates_.push_back(static_cast<std::uint32_t>(i));
    }
}

std::size_t Balancer::pick(const UpstreamPtr& upstream, Mask tried, Nanos now) {
    const auto& up = *upstream;
    if (up.targets.size() == 1) {
        const auto& state = up.targets[0].state;
        return state && state->refusing(now) ? kNone : 0;
    }
    Entry& e = entry(upstream);
    collect(up, tried, now);
    if (candidates_.empty()) return kNone;
    if (candidates_.size() == 1) return candidates_[0];
    return choose(up, e);
}

std::size_t Balancer::choose(const config::Upstream& up, Entry& e) {
    const auto& targets = up.targets;
    switch (up.balance) {
        case config::Balance::round_robin: {
            // nginx's smooth weighted round robin: weights 5,1,1 give a b a c a a b... spread
            // out, not a a a a a b c.
            std::int64_t total = 0;
            std::uint32_t best = candidates_[0];
            for (std::uint32_t i : candidates_) {
                e.current[i] += targets[i].weight;
                total += targets[i].weight;
                if (e.current[i] > e.current[best]) best = i;
            }
            e.current[best] -= total;
            return best;
        }
        case config::Balance::random: {
            std::uint64_t total = 0;
            for (std::uint32_t i : candidates_) total += targets[i].weight;
            std::uint64_t r = next_random() % total;
            for (std::uint32_t i : candidates_) {
                if (r < targets[i].weight) return i;
                r -= targets[i].weight;
            }
            return candidates_.back();
        }
        case config::Balance::least_request: {
            // Two random candidates, the one with fewer requests in flight per unit of weight.
            std::size_t n = candidates_.size();
            std::size_t a = next_random() % n;
            std::size_t b = (a + 1 + next_random() % (n - 1)) % n;
            std::uint32_t ta = candidates_[a], tb = candidates_[b];
            auto load_a = std::int64_t{e.in_flight[ta]} * targets[tb].weight;
            auto load_b = std::int64_t{e.in_flight[tb]} * targets[ta].weight;
            return load_b < load_a ? tb : ta;
        }
    }
    return candidates_[0];
}

void Balancer::begin(const UpstreamPtr& upstream, std::size_t target) {
    if (upstream->targets.size() > 1) ++entry(upstream).in_flight[target];
}

void Balancer::end(const UpstreamPtr& upstream, std::size_t target) {
    if (upstream->targets.size() == 1) return;
    auto it = entries_.find(upstream->name);
    // A reload may have replaced the definition meanwhile: its counters started afresh.
    if (it == entries_.end() || it->second.upstream != upstream) return;
    int& n = it->second.in_flight[target];
    if (n > 0) --n;
}

std::uint64_t Balancer::next_random() {
    // xorshift64: cheap, and good enough to spread picks.
    rng_ ^= rng_ << 13;
    rng_ ^= rng_ >> 7;
    rng_ ^= rng_ << 17;
    return rng_;
}

}  // namespace gw::server
