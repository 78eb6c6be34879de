#include "middleware/auth/verified_cache.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <stdexcept>
#include <string>

namespace gw::middleware::auth {
namespace {

const std::array<unsigned char, 32>& process_key() {
    static const std::array<unsigned char, 32> kKey = [] {
        std::array<unsigned char, 32> k{};
        if (RAND_bytes(k.data(), static_cast<int>(k.size())) != 1)
            throw std::runtime_error("no random bytes from OpenSSL");
        return k;
    }();
    return kKey;
}

}  // namespace

VerifiedCache& VerifiedCache::this_thread() {
    // Each worker is one thread: its cache is its own.
    thread_local VerifiedCache cache;
    return cache;
}

Digest VerifiedCache::key_for(std::string_view stored_hash, std::string_view user,
                              std::string_view password) {
    std::string data;
    data.reserve(stored_hash.size() + user.size() + password.size() + 2);
    data.append(stored_hash).append(1, '\n').append(user).append(1, ':').append(password);
    const auto& k = process_key();
    Digest out = hmac_sha256({reinterpret_cast<const char*>(k.data()), k.size()}, data);
    OPENSSL_cleanse(data.data(), data.size());
    return out;
}

std::size_t VerifiedCache::index(const Digest& key) {
    return (std::size_t(key[0]) << 8 | key[1]) % kSlots;
}

bool VerifiedCache::contains(const Digest& key, Clock::time_point now) const {
    const Slot& s = slots_[index(key)];
    return now < s.expires && digest_equal(s.key, key);
}

void VerifiedCache::insert(const Digest& key, Clock::time_point now) {
    slots_[index(key)] = Slot{key, now + kTtl};
}

void VerifiedCache::clear() { slots_.fill(Slot{}); }

}  // namespace gw::middleware::auth
