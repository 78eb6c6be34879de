#include "server/target_state.h"

namespace gw::server {
namespace {
constexpr auto kRelaxed = std::memory_order_relaxed;

Nanos nanos(config::Duration d) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
}
}  // namespace

std::string_view circuit_name(Circuit c) {
    switch (c) {
        case Circuit::closed: return "closed";
        case Circuit::open: return "open";
        case Circuit::half_open: return "half_open";
    }
    return "closed";
}

void TargetState::set_healthy(bool healthy) {
    if (healthy && failures_.load(kRelaxed) != 0) failures_.store(0, kRelaxed);
    if (healthy_.load(kRelaxed) != healthy) healthy_.store(healthy, kRelaxed);
}

bool TargetState::refusing(Nanos now) const {
    Nanos until = open_until_.load(kRelaxed);
    return until != 0 && now < until;
}

TargetState::Admit TargetState::admit(const config::BreakerPolicy* policy, Nanos now) {
    Nanos until = open_until_.load(kRelaxed);
    if (until == 0 || !policy) return Admit::go;
    if (now < until) return Admit::refuse;
    // The open period is over: the one who moves the deadline on sends the probe; if it never
    // reports (its client left), another probe is due after open_for again.
    if (!open_until_.compare_exchange_strong(until, now + nanos(policy->open_for), kRelaxed))
        return Admit::refuse;
    probing_.store(true, kRelaxed);
    return Admit::probe;
}

void TargetState::open(const config::BreakerPolicy& policy, Nanos now) {
    Nanos closed = 0;
    open_until_.compare_exchange_strong(closed, now + nanos(policy.open_for), kRelaxed);
}

void TargetState::record(Outcome outcome, const config::BreakerPolicy* policy,
                         const config::HealthCheck* health, Nanos now) {
    if (outcome == Outcome::neutral) return;
    if (outcome == Outcome::success) {
        // Stores only on a change: successes, the common case, leave the line shared.
        if (failures_.load(kRelaxed) != 0) failures_.store(0, kRelaxed);
        if (open_until_.load(kRelaxed) != 0) {
            open_until_.store(0, kRelaxed);
            probing_.store(false, kRelaxed);
        }
        return;
    }
    std::uint32_t n = failures_.fetch_add(1, kRelaxed) + 1;
    // Passive marking: real traffic counts like failed checks; only the checker heals.
    if (health && n >= health->unhealthy_after && healthy()) healthy_.store(false, kRelaxed);
    if (!policy) return;
    if (probing_.load(kRelaxed)) {
        probing_.store(false, kRelaxed);  // the probe failed: open for another period
        open_until_.store(now + nanos(policy->open_for), kRelaxed);
    } else if (n >= policy->consecutive_failures) {
        open(*policy, now);
    }
}

Circuit TargetState::circuit() const {
    if (open_until_.load(kRelaxed) == 0) return Circuit::closed;
    return probing_.load(kRelaxed) ? Circuit::half_open : Circuit::open;
}

std::shared_ptr<TargetState> TargetStates::get(const std::string& upstream,
                                               const std::string& url) {
    std::string key = upstream;
    key += '\n';  // cannot appear in either part
    key += url;
    std::lock_guard lock(mutex_);
    std::erase_if(states_, [](const auto& kv) { return kv.second.expired(); });
    auto& slot = states_[key];
    auto state = slot.lock();
    if (!state) {
        state = std::make_shared<TargetState>();
        slot = state;
    }
    return state;
}

}  // namespace gw::server
