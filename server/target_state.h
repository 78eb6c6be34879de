// Health and circuit-breaker state of one upstream target, shared by every worker.
//
// Threads: workers read it for every pick and record the outcome of every attempt; the health
// checker (control thread) sets the health flag. All fields are atomics, written only when a
// value changes, so the common path (a closed circuit, a healthy target, a success) only reads
// a shared cache line. The half-open probe is claimed by one compare-and-swap on open_until_:
// whoever moves an expired deadline forward owns the probe, the others keep failing fast.
//
// TargetStates hands these out at load, keyed by (upstream name, target URL), so a reload keeps
// the state of targets that did not change. Its map is locked, but only loads touch it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "config/types.h"

namespace gw::server {

// Nanoseconds on the steady clock: what the atomics hold. Tests pass their own values.
using Nanos = std::int64_t;
inline Nanos steady_nanos() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

enum class Circuit { closed = 0, open = 1, half_open = 2 };
std::string_view circuit_name(Circuit c);

// What one attempt at a target came to, for the breaker and passive health marking.
enum class Outcome { success, failure, neutral };

class TargetState {
public:
    enum class Admit { go, probe, refuse };

    bool healthy() const { return healthy_.load(std::memory_order_relaxed); }
    // Active checks (control thread). Marking healthy forgets earlier traffic failures.
    void set_healthy(bool healthy);

    // True while the circuit is open and no probe is due: a picker skips such targets.
    bool refusing(Nanos now) const;
    // Called once an attempt is about to use the target. With no breaker: always go.
    Admit admit(const config::BreakerPolicy* policy, Nanos now);
    // The result of an attempt. health: the upstream's health_check, for passive marking.
    void record(Outcome outcome, const config::BreakerPolicy* policy,
                const config::HealthCheck* health, Nanos now);

    Circuit circuit() const;
    std::uint32_t consecutive_failures() const { return failures_.load(std::memory_order_relaxed); }

private:
    void open(const config::BreakerPolicy& policy, Nanos now);

    std::atomic<bool> healthy_{true};
    std::atomic<std::uint32_t> failures_{0};  // consecutive, from real traffic
    std::atomic<Nanos> open_until_{0};        // 0: circuit closed
    std::atomic<bool> probing_{false};        // a half-open probe is out
};

class TargetStates {
public:
    // The state of (upstream, url): the existing one while any config still holds it.
    std::shared_ptr<TargetState> get(const std::string& upstream, const std::string& url);

private:
    std::mutex mutex_;
    std::map<std::string, std::weak_ptr<TargetState>, std::less<>> states_;
};

}  // namespace gw::server
