#include "config/redis_url.h"

#include <boost/url/parse.hpp>

#include "config/units.h"

namespace gw::config {
namespace {

constexpr std::uint64_t kMaxDb = 1'000'000;  // Redis' `databases` is an int; 16 by default

bool fail(std::string& error, std::string_view why) {
    error = "expected redis://[user:password@]host:port/db or rediss://...: ";
    error += why;
    return false;
}

bool parse_db(std::string_view path, RedisConfig& out, std::string& error) {
    if (path.empty() || path == "/") return true;
    auto n = parse_uint(path.substr(1));
    if (path.find('/', 1) != std::string_view::npos || !n || *n > kMaxDb) {
        return fail(error, "the path must be a database number like /0");
    }
    out.db = static_cast<unsigned>(*n);
    return true;
}

}  // namespace

bool parse_redis_url(std::string_view text, RedisConfig& out, std::string& error) {
    auto parsed = boost::urls::parse_uri(text);
    if (!parsed) return fail(error, "not a valid URL");
    const auto& url = *parsed;
    if (url.scheme() != "redis" && url.scheme() != "rediss") {
        return fail(error, "the scheme must be redis or rediss");
    }
    if (!url.has_authority() || url.encoded_host().empty()) return fail(error, "no host");
    if (url.has_query() || url.has_fragment()) return fail(error, "no query or fragment allowed");
    out.tls = url.scheme() == "rediss";
    out.host = url.host_type() == boost::urls::host_type::ipv6
                   ? url.host_ipv6_address().to_string()
                   : std::string(url.host_address());
    if (url.has_port()) {
        if (url.port_number() == 0) return fail(error, "the port must be 1..65535");
        out.port = url.port_number();
    }
    if (url.has_userinfo()) {
        out.username = std::string(url.user());
        if (url.has_password()) out.password = std::string(url.password());
        // "redis://secret@host" is what many tools write for a password-only AUTH.
        if (!url.has_password()) std::swap(out.username, out.password);
    }
    return parse_db(url.encoded_path(), out, error);
}

}  // namespace gw::config
