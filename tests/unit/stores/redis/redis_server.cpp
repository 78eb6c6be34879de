#include "redis_server.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <thread>

namespace gw::stores::redis::test {
namespace {

constexpr int kStartAttempts = 5;
constexpr int kReadyPolls = 200;  // x 25ms: 5s at most for redis-server to listen

sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

std::uint16_t free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a = loopback(0);
    socklen_t len = sizeof a;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        ::close(fd);
        throw std::runtime_error("cannot find a free port");
    }
    ::close(fd);
    return ntohs(a.sin_port);
}

bool accepts(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a = loopback(port);
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
}

}  // namespace

RedisServer::RedisServer(std::vector<std::string> extra, bool tls)
    : extra_(std::move(extra)), tls_(tls) {
    char tmpl[] = "/tmp/gw-redis-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    if (tls_) {
        cert_ = dir_ + "/server.crt";
        key_ = dir_ + "/server.key";
        std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
                          "-subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 -days 1 "
                          "-keyout " + key_ + " -out " + cert_ + " >/dev/null 2>&1";
        if (std::system(cmd.c_str()) != 0) throw std::runtime_error("openssl req failed");
    }
    for (int i = 0; i < kStartAttempts; ++i) {
        if (start_on(free_port())) return;
    }
    throw std::runtime_error("redis-server did not start");
}

RedisServer::~RedisServer() {
    kill();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

bool RedisServer::start_on(std::uint16_t port) {
    std::vector<std::string> args{"redis-server", "--bind", "127.0.0.1", "--save", "",
                                  "--appendonly", "no", "--dir", dir_, "--daemonize", "no",
                                  "--loglevel", "warning", "--logfile", dir_ + "/redis.log"};
    if (tls_) {
        args.insert(args.end(), {"--port", "0", "--tls-port", std::to_string(port),
                                 "--tls-cert-file", cert_, "--tls-key-file", key_,
                                 "--tls-ca-cert-file", cert_, "--tls-auth-clients", "no"});
    } else {
        args.insert(args.end(), {"--port", std::to_string(port)});
    }
    args.insert(args.end(), extra_.begin(), extra_.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("cannot fork for redis-server");
    if (pid_ == 0) {
        // Redis dies with the test process, even when a hung test is killed.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        ::execv("/usr/bin/redis-server", argv.data());
        ::_exit(127);
    }
    for (int i = 0; i < kReadyPolls; ++i) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {  // exited: the port was taken
            pid_ = -1;
            return false;
        }
        if (accepts(port)) {
            port_ = port;
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    kill();
    return false;
}

void RedisServer::kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
}

void RedisServer::restart() {
    kill();
    // The same port: the client under test reconnects to where Redis was. A restart right
    // after the kill may find the port briefly unavailable, so a few tries.
    for (int i = 0; i < kStartAttempts; ++i) {
        if (start_on(port_)) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    throw std::runtime_error("redis-server did not restart");
}

}  // namespace gw::stores::redis::test
