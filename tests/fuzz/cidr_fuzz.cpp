// CIDR and endpoint parsing (server.trusted_proxies, ip.allow/deny, listen): any text gives a
// range or an error, and a range always contains its own network address and reads back the
// same from its printed form.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/net.h"
#include "middleware/ip_filter.h"

namespace {

void check(bool ok) {
    if (!ok) __builtin_trap();  // an invariant broke: libFuzzer reports it as a crash
}

void check_cidr(const gw::config::Cidr& c) {
    check(c.prefix <= (c.network.is_v4() ? 32u : 128u));
    check(c.contains(c.network));
    std::string error;
    auto again = gw::config::parse_cidr(c.network.to_string() + "/" +
                                        std::to_string(c.prefix), error);
    check(again && again->network == c.network && again->prefix == c.prefix);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    // The input may hold a second value after a newline: an address tested against the range.
    auto newline = text.find('\n');
    std::string_view range = text.substr(0, newline);
    std::string error;
    auto cidr = gw::config::parse_cidr(range, error);
    check(cidr.has_value() == error.empty());
    if (cidr) {
        // A NUL ends a C string: "10.0.0.1\0junk" must not read as 10.0.0.1.
        check(range.find('\0') == std::string_view::npos);
        check_cidr(*cidr);
        if (newline != std::string_view::npos) {
            boost::system::error_code ec;
            auto peer = boost::asio::ip::make_address(std::string(text.substr(newline + 1)), ec);
            if (!ec) {
                gw::middleware::IpFilterConfig filter;
                filter.deny.push_back(*cidr);
                check(gw::middleware::ip_permitted(filter, peer) != cidr->contains(peer));
            }
        }
    }
    auto endpoint = gw::config::parse_endpoint(range, true, error);
    check(endpoint.has_value() == error.empty());
    if (endpoint) check(range.find('\0') == std::string_view::npos);
    return 0;
}
