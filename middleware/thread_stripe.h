// Which stripe of a striped counter this thread writes: threads are numbered once, on first
// use, so each worker keeps to its own cache line and a scrape sums the stripes.
#pragma once

#include <atomic>
#include <cstddef>

namespace gw::middleware {

inline std::size_t this_thread_stripe(std::size_t stripes) {
    static std::atomic<std::size_t> next{0};
    thread_local const std::size_t mine = next.fetch_add(1, std::memory_order_relaxed);
    return mine % stripes;
}

}  // namespace gw::middleware
