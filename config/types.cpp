#include "config/types.h"

#include <array>

namespace gw::config {

std::string Endpoint::str() const {
    // An IPv6 literal needs brackets, or its colons would be read as the port separator.
    if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
    return host + ":" + std::to_string(port);
}

namespace {

// Compares the first `prefix` bits of two equally long byte arrays.
template <std::size_t N>
bool same_prefix(const std::array<unsigned char, N>& a, const std::array<unsigned char, N>& b,
                 unsigned prefix) {
    std::size_t full = prefix / 8;
    for (std::size_t i = 0; i < full; ++i) {
        if (a[i] != b[i]) return false;
    }
    unsigned rest = prefix % 8;
    if (rest == 0) return true;
    auto mask = static_cast<unsigned char>(0xff << (8 - rest));
    return (a[full] & mask) == (b[full] & mask);
}

}  // namespace

bool Cidr::contains(const boost::asio::ip::address& a) const {
    boost::asio::ip::address peer = a;
    // A dual-stack listener reports IPv4 peers as ::ffff:a.b.c.d; they must still match the
    // IPv4 ranges people write.
    if (peer.is_v6() && peer.to_v6().is_v4_mapped() && network.is_v4()) {
        peer = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, peer.to_v6());
    }
    if (peer.is_v4() != network.is_v4()) return false;
    if (peer.is_v4()) {
        return same_prefix(peer.to_v4().to_bytes(), network.to_v4().to_bytes(), prefix);
    }
    return same_prefix(peer.to_v6().to_bytes(), network.to_v6().to_bytes(), prefix);
}

}  // namespace gw::config
