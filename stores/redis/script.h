// A Lua script run with EVALSHA. Built once (its SHA-1 through OpenSSL) by whoever owns it,
// e.g. a compiled rate-limit config; immutable afterwards, so any thread may use it.
#pragma once

#include <string>

namespace gw::stores::redis {

class RedisScript {
public:
    explicit RedisScript(std::string source);
    const std::string& source() const { return source_; }
    const std::string& sha1() const { return sha1_; }  // lower-case hex, as Redis prints it

private:
    std::string source_;
    std::string sha1_;
};

}  // namespace gw::stores::redis
