// The current configuration snapshot, shared by all threads.
// Writers (startup, reload on the admin thread) publish under a mutex and bump a generation
// counter; each worker keeps its own shared_ptr copy and only re-reads it when the generation
// moved, so the per-request cost is one relaxed atomic load, no lock and no refcount traffic
// between cores. Requests in flight keep the snapshot they started with.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "config/config.h"

namespace gw::server {

using ConfigPtr = std::shared_ptr<const config::Config>;

class ConfigStore {
public:
    void publish(ConfigPtr config) {
        std::lock_guard lock(mutex_);
        current_ = std::move(config);
        generation_.fetch_add(1, std::memory_order_release);
    }
    ConfigPtr load() const {
        std::lock_guard lock(mutex_);
        return current_;
    }
    std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

private:
    mutable std::mutex mutex_;
    ConfigPtr current_;
    std::atomic<std::uint64_t> generation_{0};
};

// One per worker thread: the worker's cached view of the store. The pointers it hands out
// share a control block private to this worker (aliasing constructor), so copying one per
// request bumps a counter no other core touches.
class ConfigView {
public:
    explicit ConfigView(const ConfigStore& store) : store_(store) {}
    ConfigPtr get() {
        auto gen = store_.generation();
        if (gen != seen_) {
            local_ = std::make_shared<const ConfigPtr>(store_.load());
            seen_ = gen;
        }
        return ConfigPtr(local_, local_->get());
    }

private:
    const ConfigStore& store_;
    std::shared_ptr<const ConfigPtr> local_;
    std::uint64_t seen_ = ~std::uint64_t{0};
};

}  // namespace gw::server
