// A Lua script run with EVALSHA. Built once (its SHA-1 through OpenSSL) by whoever owns it,
// e.g. a compiled rate-limit config; immutable afterwards, so any thread may use it.
#pragma once

#include <string>
#include <vector>

namespace gw::stores::redis {

class RedisScript {
public:
    // companions: scripts that callers of this one run later, on the same client (a rate
    // limit's give-back after its decide). A client registers them with this one
    // (RedisClient::add_script), so its connections load them before their first use and the
    // callers' per-request path stays one EVALSHA. They must outlive this script.
    explicit RedisScript(std::string source, std::vector<const RedisScript*> companions = {});
    const std::string& source() const { return source_; }
    const std::string& sha1() const { return sha1_; }  // lower-case hex, as Redis prints it
    const std::vector<const RedisScript*>& companions() const { return companions_; }

private:
    std::string source_;
    std::string sha1_;
    std::vector<const RedisScript*> companions_;
};

}  // namespace gw::stores::redis
