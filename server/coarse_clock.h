// Cheap readings of the steady clock for deadlines and idle stamps: values read several times
// per request where a few milliseconds do not matter.
//
// Why: steady_clock::now() reads the TSC through the vDSO (about 23 ns on the benchmark
// machine); the kernel's coarse monotonic clock, the time of the last tick, is a plain read of
// the vDSO page (about 5 ns). A proxied request sets about six deadlines and stamps.
//
// Both are CLOCK_MONOTONIC's timeline (libstdc++'s steady_clock reads CLOCK_MONOTONIC), so
// their time points mix with steady_clock's. The coarse one trails by less than one tick
// (clock_getres: 4 ms at HZ=250).
#pragma once

#include <chrono>
#include <ctime>

namespace gw::server::coarse_clock {

using TimePoint = std::chrono::steady_clock::time_point;

inline std::chrono::nanoseconds tick() {
    timespec r{};
    if (::clock_getres(CLOCK_MONOTONIC_COARSE, &r) != 0) return std::chrono::milliseconds(10);
    return std::chrono::seconds(r.tv_sec) + std::chrono::nanoseconds(r.tv_nsec);
}
inline const std::chrono::nanoseconds kTick = tick();

// The time of the last tick: never later than steady_clock::now(), less than a tick earlier.
inline TimePoint now() {
    timespec t{};
    ::clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
    return TimePoint(std::chrono::duration_cast<TimePoint::duration>(
        std::chrono::seconds(t.tv_sec) + std::chrono::nanoseconds(t.tv_nsec)));
}

// A start for deadlines: not earlier than steady_clock::now() (unless a tick came late, as it
// may on a loaded virtual machine: then a few milliseconds early), at most a tick later. A
// timeout counted from it lasts at least its duration, bar that.
inline TimePoint deadline_start() {
    return now() + std::chrono::duration_cast<TimePoint::duration>(kTick);
}

}  // namespace gw::server::coarse_clock
