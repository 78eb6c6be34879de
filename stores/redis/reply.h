// RedisReply: one Redis answer as a small value type, or the transport failure that stands in
// for it (timeout, no connection, connection lost). Built from hiredis' redisReply by the
// pipeline; owned by whoever awaited the command. Not shared between threads.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/system/error_code.hpp>

struct redisReply;  // hiredis

namespace gw::stores::redis {

// Why a command got no answer from Redis. Each is also a metric label (reason()).
enum class Errc {
    timeout = 1,   // no reply within redis.timeout
    unavailable,   // no usable connection (reconnecting after a failure): failed fast
    disconnected,  // the connection broke while the command was in flight
    connect,       // queued while connecting, and the connect (or AUTH/SELECT) failed
    protocol,      // Redis sent something hiredis could not parse, or an unexpected reply
    overloaded,    // too many commands already waiting for a connection
};

const boost::system::error_category& error_category();
boost::system::error_code make_error_code(Errc e);
// The metric label for a transport failure; "reply" for an error reply from Redis.
std::string_view reason(const boost::system::error_code& ec);

struct RedisReply {
    enum class Type { nil, integer, string, status, array, error };
    Type type = Type::nil;
    long long integer = 0;
    std::string str;  // string, status, or the error reply's text ("NOSCRIPT ...")
    std::vector<RedisReply> elements;
    boost::system::error_code ec;  // set: no reply at all (type stays nil)

    static RedisReply failure(Errc e) {
        RedisReply r;
        r.ec = make_error_code(e);
        return r;
    }
    // A transport failure or an error reply: either way not the answer asked for.
    bool failed() const { return ec || type == Type::error; }
    bool is_error(std::string_view prefix) const {
        return type == Type::error && std::string_view(str).substr(0, prefix.size()) == prefix;
    }
};

// A deep copy of a hiredis reply (which the caller still frees).
RedisReply to_reply(const redisReply& r);

}  // namespace gw::stores::redis

template <>
struct boost::system::is_error_code_enum<gw::stores::redis::Errc> : std::true_type {};
