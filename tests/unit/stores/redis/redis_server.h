// A real redis-server for tests: started on 127.0.0.1 on a free port (found by binding port 0
// and closing it; a collision with another process makes the server exit, and start() tries
// another port), in a temporary directory, without persistence; killed when destroyed.
// scripts/install-deps.sh test installs redis-server; without it these tests fail.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace gw::stores::redis::test {

class RedisServer {
public:
    // `extra`: more redis-server options, e.g. {"--requirepass", "pw"}. With tls, the server
    // listens with TLS only (--tls-port) using a fresh certificate for IP 127.0.0.1.
    explicit RedisServer(std::vector<std::string> extra = {}, bool tls = false);
    ~RedisServer();
    RedisServer(const RedisServer&) = delete;
    RedisServer& operator=(const RedisServer&) = delete;

    std::uint16_t port() const { return port_; }
    const std::string& ca_file() const { return cert_; }  // the self-signed server certificate
    void kill();     // SIGKILL and reap: Redis dies with connections open
    void restart();  // same port, same options

private:
    bool start_on(std::uint16_t port);

    std::string dir_;
    std::vector<std::string> extra_;
    bool tls_;
    std::string cert_, key_;
    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
};

}  // namespace gw::stores::redis::test
