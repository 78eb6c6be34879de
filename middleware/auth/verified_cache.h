// Remembers recent successful password verifications of the worker thread it runs on, so a
// busy client pays the slow hash (bcrypt: tens of milliseconds, by design) once per TTL and
// not on every request.
//
// Threads: one instance per thread (this_thread()); never shared, so no locks. Fixed size:
// kSlots entries, direct-mapped by the key, a newer entry replacing an older one in its slot;
// a flood of logins cannot grow it.
//
// Keys are HMAC-SHA256 under a random per-process key of (stored hash, user, password): a
// changed password hash (reload) misses, and a memory dump holds nothing a fast offline
// guess could test passwords against.
#pragma once

#include <array>
#include <chrono>
#include <string_view>

#include "middleware/auth/digest.h"

namespace gw::middleware::auth {

class VerifiedCache {
public:
    using Clock = std::chrono::steady_clock;
    static constexpr std::size_t kSlots = 1024;
    static constexpr std::chrono::seconds kTtl{60};

    static VerifiedCache& this_thread();
    static Digest key_for(std::string_view stored_hash, std::string_view user,
                          std::string_view password);

    bool contains(const Digest& key, Clock::time_point now) const;
    void insert(const Digest& key, Clock::time_point now);
    void clear();

private:
    struct Slot {
        Digest key{};
        Clock::time_point expires{};
    };
    static std::size_t index(const Digest& key);
    std::array<Slot, kSlots> slots_{};
};

}  // namespace gw::middleware::auth
