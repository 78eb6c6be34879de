// Header rules of a proxy hop (RFC 9110 7.6, W3C Trace Context): what is stripped, what is
// added. Pure functions over Beast fields so they are unit-tested without sockets.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/fields.hpp>

#include "config/text.h"
#include "config/types.h"

namespace gw::server {

namespace http = boost::beast::http;

// Headers the Connection fields name (RFC 9110 7.6.1), as views into those fields' values.
// Tokens that name no header ("close") or one removed anyway ("keep-alive") are left out, so
// the common case collects nothing. The first kInline names need no allocation.
struct ConnectionNames {
    static constexpr std::size_t kInline = 8;
    std::array<std::string_view, kInline> names;
    std::size_t count = 0;
    std::vector<std::string_view> more;

    void add_tokens(std::string_view v) {
        while (!v.empty()) {
            auto comma = v.find(',');
            auto token = config::trim_ows(v.substr(0, comma));
            if (!token.empty() && !config::iequals(token, "close") &&
                !config::iequals(token, "keep-alive")) {
                if (count < kInline) names[count++] = token;
                else more.push_back(token);
            }
            if (comma == std::string_view::npos) break;
            v.remove_prefix(comma + 1);
        }
    }
    bool empty() const { return count == 0; }
    bool named(std::string_view name) const {
        for (std::size_t i = 0; i < count; ++i)
            if (config::iequals(names[i], name)) return true;
        for (auto n : more)
            if (config::iequals(n, name)) return true;
        return false;
    }
};


// Removes Connection, the headers it names, and the other hop-by-hop headers
// (Keep-Alive, Proxy-Connection, Proxy-Authenticate, Proxy-Authorization, TE, Trailer,
// Transfer-Encoding, Upgrade). Framing is re-established by the caller.
void strip_hop_by_hop(http::fields& fields);

bool is_trusted(const boost::asio::ip::address& peer, const std::vector<config::Cidr>& trusted);

// The client's address: the peer, or, when the peer is a trusted proxy, the right-most
// X-Forwarded-For entry that is not itself trusted.
std::string client_ip(const boost::asio::ip::address& peer, bool peer_trusted,
                      std::string_view forwarded_for, const std::vector<config::Cidr>& trusted);

// All values of a header that may be sent on several lines, joined with ", ".
std::string joined_values(const http::fields& fields, std::string_view name);

// Sets `out` to the request's id: a sane client-sent X-Request-Id, else a new random one. Into
// the string given (the session hands the same one to each request: no allocation).
void assign_request_id(std::string& out, std::string_view sent);

// A traceparent for the upstream hop: the sent trace id with a new parent id, or a new trace.
std::string next_traceparent(std::string_view sent);
// The same, written into out (no allocation); returns the view of out.
inline constexpr std::size_t kTraceparentSize = 55;
std::string_view next_traceparent(std::string_view sent, char (&out)[kTraceparentSize]);

// Lower-case host without port from a Host header value; "" when malformed.
std::string host_without_port(std::string_view host);

// Upstream credentials of type bearer, header and basic go into the fields; query is applied
// to the target by the caller (append_query_credential).
void apply_credentials(const config::Credentials& c, http::fields& fields);
void append_query_credential(const config::Credentials& c, std::string& target);
// Removes a query credential an upstream echoes in Location / Content-Location (redirects),
// so the secret never reaches the caller.
void strip_query_credential(http::fields& fields, const config::Credentials& c);

}  // namespace gw::server
