#include "server/forwarding.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <random>

#include <boost/beast/core/detail/base64.hpp>

#include "config/text.h"

namespace gw::server {
namespace beast = boost::beast;
namespace {

void append_pct_encoded(std::string& out, std::string_view s) {
    static const char* hex = "0123456789ABCDEF";
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
}

// Ids need uniqueness, not secrecy: splitmix64 seeded once per thread from the OS.
std::uint64_t next_random() {
    thread_local std::uint64_t state = (std::uint64_t{std::random_device{}()} << 32) ^
                                       std::random_device{}();
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

// Two hex digits per byte from one table lookup: ids are made for every request.
constexpr std::array<char, 512> kHexPairs = [] {
    constexpr char hex[] = "0123456789abcdef";
    std::array<char, 512> t{};
    for (int i = 0; i < 256; ++i) {
        t[2 * i] = hex[i >> 4];
        t[2 * i + 1] = hex[i & 15];
    }
    return t;
}();

char* write_random_hex(char* out, std::size_t digits) {
    for (; digits >= 16; digits -= 16) {
        std::uint64_t r = next_random();
        for (int k = 0; k < 8; ++k, r >>= 8, out += 2)
            std::memcpy(out, &kHexPairs[2 * (r & 255)], 2);
    }
    if (digits > 0) {
        std::uint64_t r = next_random();
        for (; digits > 0; --digits, r >>= 4) *out++ = kHexPairs[2 * (r & 15) + 1];
    }
    return out;
}

bool is_lower_hex(std::string_view s) {
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

bool all_zero(std::string_view s) { return s.find_first_not_of('0') == std::string_view::npos; }

}  // namespace

namespace {
bool is_hop_by_hop(http::field f) {
    switch (f) {
        case http::field::keep_alive:
        case http::field::proxy_connection:
        case http::field::proxy_authenticate:
        case http::field::proxy_authorization:
        case http::field::te:
        case http::field::trailer:
        case http::field::transfer_encoding:
        case http::field::upgrade:
            return true;
        default:
            return false;
    }
}

}  // namespace

// One pass over the fields (a message has a handful) instead of a lookup per hop-by-hop name:
// Beast's lookups compare names case-insensitively down a tree, which the profile showed.
void strip_hop_by_hop(http::fields& fields) {
    ConnectionNames connection;
    bool has_connection = false;
    for (const auto& f : fields) {
        if (f.name() != http::field::connection) continue;
        has_connection = true;
        connection.add_tokens(f.value());
    }
    // When the Connection fields name headers, they go last: the names collected point into
    // their values. Otherwise (only "keep-alive" or "close") they go in the same pass.
    for (auto it = fields.begin(); it != fields.end();) {
        bool is_connection = it->name() == http::field::connection;
        bool drop = is_hop_by_hop(it->name()) || (is_connection && connection.empty()) ||
                    (!connection.empty() && !is_connection && connection.named(it->name_string()));
        it = drop ? fields.erase(it) : std::next(it);
    }
    if (has_connection && !connection.empty()) fields.erase(http::field::connection);
}

bool is_trusted(const boost::asio::ip::address& peer, const std::vector<config::Cidr>& trusted) {
    for (const auto& c : trusted)
        if (c.contains(peer)) return true;
    return false;
}

std::string client_ip(const boost::asio::ip::address& peer, bool peer_trusted,
                      std::string_view forwarded_for, const std::vector<config::Cidr>& trusted) {
    if (!peer_trusted || forwarded_for.empty()) return peer.to_string();
    // Walk from the right: the first hop that is not a trusted proxy is the client.
    std::string_view rest = forwarded_for;
    while (!rest.empty()) {
        auto comma = rest.rfind(',');
        auto hop = config::trim_ows(comma == std::string_view::npos ? rest
                                                                    : rest.substr(comma + 1));
        boost::system::error_code ec;
        auto addr = boost::asio::ip::make_address(std::string(hop), ec);
        if (ec) return peer.to_string();  // garbage: do not believe any of it
        if (!is_trusted(addr, trusted)) return addr.to_string();
        if (comma == std::string_view::npos) return addr.to_string();
        rest = rest.substr(0, comma);
    }
    return peer.to_string();
}

std::string joined_values(const http::fields& fields, std::string_view name) {
    std::string out;
    for (auto it = fields.find(name); it != fields.end() && config::iequals(it->name_string(), name);
         ++it) {
        if (!out.empty()) out += ", ";
        out += it->value();
    }
    return out;
}

void assign_request_id(std::string& out, std::string_view sent) {
    bool sane = !sent.empty() && sent.size() <= 128;
    for (char c : sent)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
              c == ':'))
            sane = false;
    if (sane) {
        out.assign(sent);
        return;
    }
    out.resize(32);
    write_random_hex(out.data(), out.size());
}

std::string_view next_traceparent(std::string_view sent, char (&out)[kTraceparentSize]) {
    // version "00" - trace-id (32 hex) - parent-id (16 hex) - flags (2 hex)
    bool valid = sent.size() == 55 && sent.substr(0, 3) == "00-" && sent[35] == '-' &&
                 sent[52] == '-' && is_lower_hex(sent.substr(3, 32)) &&
                 is_lower_hex(sent.substr(36, 16)) && is_lower_hex(sent.substr(53, 2)) &&
                 !all_zero(sent.substr(3, 32)) && !all_zero(sent.substr(36, 16));
    std::string_view flags = valid ? sent.substr(53, 2) : std::string_view("01");
    char* p = out;
    p = std::copy_n("00-", 3, p);
    if (valid)
        p = std::copy_n(sent.data() + 3, 32, p);
    else
        p = write_random_hex(p, 32);
    *p++ = '-';
    p = write_random_hex(p, 16);
    *p++ = '-';
    std::copy_n(flags.data(), 2, p);
    return {out, kTraceparentSize};
}

std::string next_traceparent(std::string_view sent) {
    char out[kTraceparentSize];
    return std::string(next_traceparent(sent, out));
}

std::string host_without_port(std::string_view host) {
    host = config::trim_ows(host);
    if (!host.empty() && host.front() == '[') {  // IPv6 literal
        auto close = host.find(']');
        if (close == std::string_view::npos) return {};
        host = host.substr(0, close + 1);
    } else {
        host = host.substr(0, host.find(':'));
    }
    std::string out(host.size(), '\0');
    for (std::size_t i = 0; i < host.size(); ++i) {
        char c = host[i];
        if (c == ' ' || c == '/' || c == '@' || c == '\\') return {};
        out[i] = c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c;
    }
    return out;
}

void apply_credentials(const config::Credentials& c, http::fields& fields) {
    using T = config::Credentials::Type;
    switch (c.type) {
        case T::bearer:
            fields.set(http::field::authorization, "Bearer " + c.value);
            break;
        case T::header:
            fields.set(c.name, c.value);
            break;
        case T::basic: {
            std::string encoded(boost::beast::detail::base64::encoded_size(c.value.size()), '\0');
            encoded.resize(boost::beast::detail::base64::encode(encoded.data(), c.value.data(),
                                                                 c.value.size()));
            fields.set(http::field::authorization, "Basic " + encoded);
            break;
        }
        case T::query:   // in the target: append_query_credential
        case T::oauth2:  // a fetched token: set by the proxy (oauth2_client::TokenSource)
        case T::none:
            break;
    }
}

void append_query_credential(const config::Credentials& c, std::string& target) {
    if (c.type != config::Credentials::Type::query) return;
    target += target.find('?') == std::string::npos ? '?' : '&';
    append_pct_encoded(target, c.name);
    target += '=';
    append_pct_encoded(target, c.value);
}

}  // namespace gw::server

namespace gw::server {

void strip_query_credential(http::fields& fields, const config::Credentials& c) {
    if (c.type != config::Credentials::Type::query) return;
    std::string param;
    append_pct_encoded(param, c.name);
    param += '=';
    append_pct_encoded(param, c.value);
    for (auto f : {http::field::location, http::field::content_location}) {
        auto it = fields.find(f);
        if (it == fields.end()) continue;
        std::string v(it->value());
        bool changed = false;
        // Searched again from the start after each removal: removing "k=v" from "k=k=vv"
        // leaves a new "k=v" (found by tests/fuzz/request_head_fuzz.cpp). Each pass shortens v.
        for (auto pos = v.find(param); pos != std::string::npos; pos = v.find(param)) {
            // Drop the parameter with one of its separators: "?k=v&x" -> "?x", "&k=v" -> "".
            std::size_t end = pos + param.size();
            if (end < v.size() && v[end] == '&') ++end;
            else if (pos > 0 && (v[pos - 1] == '&' || v[pos - 1] == '?')) --pos;
            v.erase(pos, end - pos);
            changed = true;
        }
        if (changed) fields.set(f, v);
    }
}

}  // namespace gw::server
