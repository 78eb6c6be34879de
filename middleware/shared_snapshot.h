// A value one thread publishes and every worker reads, at the cost of one atomic load per read
// while it does not change (the pattern of server::ConfigView, for any number of instances).
//
// Why not std::atomic<std::shared_ptr>: libstdc++ 12's load() takes a spin lock, bumps the
// shared reference count (a cache line every core writes) and unlocks with a relaxed store,
// so ThreadSanitizer sees its read of the pointer unordered with the next store (a real
// defect of that implementation, harmless on x86-64 only).
//
// Threads: publish() from any thread (under a mutex, rare); get() from any thread. Each
// thread keeps its own copy of the current pointer behind a control block no other thread
// touches, refreshed under the mutex when the generation moved.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace gw::middleware {

template <class T>
class SharedSnapshot {
public:
    using Ptr = std::shared_ptr<const T>;

    SharedSnapshot() : id_(next_id()) {}
    SharedSnapshot(const SharedSnapshot&) = delete;
    SharedSnapshot& operator=(const SharedSnapshot&) = delete;

    void publish(Ptr value) {
        std::lock_guard lock(mutex_);
        value_ = std::move(value);
        generation_.fetch_add(1, std::memory_order_release);
    }

    // The value last published; null before the first publish.
    Ptr get() const {
        Slot& slot = slot_of(id_);
        const auto generation = generation_.load(std::memory_order_acquire);
        if (slot.generation != generation) {
            std::lock_guard lock(mutex_);
            slot.local = std::make_shared<const Ptr>(value_);
            slot.generation = generation;
        }
        return Ptr(slot.local, slot.local->get());  // shares this thread's control block
    }

private:
    struct Slot {
        std::uint64_t id = 0;
        std::uint64_t generation = 0;  // 0: never read (generation_ starts at 1)
        std::shared_ptr<const Ptr> local;
    };
    static constexpr std::size_t kMaxSlots = 64;

    static std::uint64_t next_id() {
        static std::atomic<std::uint64_t> next{1};
        return next.fetch_add(1, std::memory_order_relaxed);
    }
    // This thread's slot for the instance `id` (ids are never reused, so a slot of a destroyed
    // instance is only a stale cache entry, dropped when the table fills).
    static Slot& slot_of(std::uint64_t id) {
        thread_local std::vector<Slot> slots;
        for (auto& s : slots)
            if (s.id == id) return s;
        if (slots.size() >= kMaxSlots) slots.clear();
        return slots.emplace_back(Slot{id, 0, nullptr});
    }

    const std::uint64_t id_;
    mutable std::mutex mutex_;
    Ptr value_;
    std::atomic<std::uint64_t> generation_{1};
};

}  // namespace gw::middleware
