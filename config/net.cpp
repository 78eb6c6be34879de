#include "config/net.h"

#include "config/units.h"

namespace gw::config {
namespace {

bool valid_host_name(std::string_view host) {
    if (host.empty() || host.size() > 253) return false;
    for (char c : host) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '.' || c == '_';
        if (!ok) return false;
    }
    return true;
}

}  // namespace

std::optional<Endpoint> parse_endpoint(std::string_view text, bool allow_port_zero,
                                       std::string& error) {
    error = "expected \"host:port\" or \"[ipv6]:port\", got '" + std::string(text) + "'";
    std::string_view host, port;
    if (text.find('\0') != std::string_view::npos) return std::nullopt;  // as in parse_cidr
    if (!text.empty() && text.front() == '[') {
        auto close = text.find("]:");
        if (close == std::string_view::npos) return std::nullopt;
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
        boost::system::error_code ec;
        auto address = boost::asio::ip::make_address_v6(std::string(host), ec);
        if (ec) return std::nullopt;
        (void)address;
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string_view::npos) return std::nullopt;
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
        if (!valid_host_name(host)) return std::nullopt;
    }
    auto number = parse_uint(port);
    std::uint64_t low = allow_port_zero ? 0 : 1;
    if (!number || *number < low || *number > 65535) {
        error = "port must be " + std::to_string(low) + "..65535, got '" + std::string(port) + "'";
        return std::nullopt;
    }
    error.clear();
    return Endpoint{std::string(host), static_cast<std::uint16_t>(*number)};
}

std::optional<Cidr> parse_cidr(std::string_view text, std::string& error) {
    error = "expected an address or CIDR like 10.0.0.0/8 or fd00::/8, got '" +
            std::string(text) + "'";
    // make_address reads a C string: "10.0.0.1\0junk" (YAML can spell it) would be 10.0.0.1.
    if (text.find('\0') != std::string_view::npos) return std::nullopt;
    auto slash = text.find('/');
    boost::system::error_code ec;
    auto address = boost::asio::ip::make_address(std::string(text.substr(0, slash)), ec);
    if (ec) return std::nullopt;
    unsigned max_prefix = address.is_v4() ? 32 : 128;
    unsigned prefix = max_prefix;
    if (slash != std::string_view::npos) {
        auto parsed = parse_uint(text.substr(slash + 1));
        if (!parsed || *parsed > max_prefix) return std::nullopt;
        prefix = static_cast<unsigned>(*parsed);
    }
    if (address.is_v4()) {
        address = boost::asio::ip::make_network_v4(address.to_v4(), prefix).network();
    } else {
        address = boost::asio::ip::make_network_v6(address.to_v6(), prefix).network();
    }
    error.clear();
    return Cidr{address, prefix};
}

}  // namespace gw::config
