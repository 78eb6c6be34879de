// Addresses of upstream targets given by host name, shared by every worker.
//
// A worker that opens a connection to a name takes the cached addresses (a copy under a short
// lock: paid per new upstream connection, never per request on a pooled one). Only a name not
// cached yet is resolved by the worker itself (asynchronously, raced against the connect
// timeout) and then stored. The control thread re-resolves every cached name each kRefresh, so
// address changes are followed without any worker waiting on DNS; a failed re-resolution keeps
// the last good addresses. Names no connection asked for during kForget are dropped.
//
// Threads: lookup and store from any worker; refresh_loop on the control thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace gw::server {

class DnsCache {
public:
    using Clock = std::chrono::steady_clock;
    using Endpoints = std::vector<boost::asio::ip::tcp::endpoint>;
    static constexpr std::chrono::seconds kRefresh{30};
    static constexpr std::chrono::minutes kForget{10};
    static constexpr std::chrono::seconds kResolveTimeout{5};

    std::optional<Endpoints> lookup(const std::string& host, std::uint16_t port,
                                    Clock::time_point now);
    void store(const std::string& host, std::uint16_t port, Endpoints endpoints,
               Clock::time_point now);
    // The names to refresh; forgets those unused since now - kForget.
    std::vector<std::pair<std::string, std::uint16_t>> names(Clock::time_point now);

    // Re-resolves every cached name each kRefresh until the io_context stops (control thread).
    boost::asio::awaitable<void> refresh_loop(boost::asio::io_context& ioc);

private:
    struct Entry {
        Endpoints endpoints;
        Clock::time_point used;
    };
    std::mutex mutex_;
    std::map<std::pair<std::string, std::uint16_t>, Entry> entries_;
};

}  // namespace gw::server
