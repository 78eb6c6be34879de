#include "server/dns_cache.h"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>

#include "server/log.h"
#include "server/stream_ops.h"

namespace gw::server {
using tcp = asio::ip::tcp;

std::optional<DnsCache::Endpoints> DnsCache::lookup(const std::string& host, std::uint16_t port,
                                                    Clock::time_point now) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find({host, port});
    if (it == entries_.end()) return std::nullopt;
    it->second.used = now;
    return it->second.endpoints;
}

void DnsCache::store(const std::string& host, std::uint16_t port, Endpoints endpoints,
                     Clock::time_point now) {
    if (endpoints.empty()) return;
    std::lock_guard lock(mutex_);
    auto& e = entries_[{host, port}];
    e.endpoints = std::move(endpoints);
    if (e.used == Clock::time_point{}) e.used = now;
}

std::vector<std::pair<std::string, std::uint16_t>> DnsCache::names(Clock::time_point now) {
    std::lock_guard lock(mutex_);
    std::erase_if(entries_, [&](const auto& kv) { return now - kv.second.used > kForget; });
    std::vector<std::pair<std::string, std::uint16_t>> out;
    for (const auto& [key, entry] : entries_) out.push_back(key);
    return out;
}

namespace {
// getaddrinfo has no timeout of its own: race it, so one dead resolver does not stall the loop.
asio::awaitable<std::optional<DnsCache::Endpoints>> resolve(asio::io_context& ioc,
                                                            const std::string& host,
                                                            std::uint16_t port) {
    tcp::resolver resolver(ioc);
    asio::steady_timer deadline(ioc);
    deadline.expires_after(DnsCache::kResolveTimeout);
    using namespace asio::experimental::awaitable_operators;
    auto raced = co_await (resolver.async_resolve(host, std::to_string(port), kErasedTuple) ||
                           deadline.async_wait(kErasedTuple));
    if (raced.index() == 1) co_return std::nullopt;
    auto [ec, results] = std::get<0>(std::move(raced));
    if (ec) co_return std::nullopt;
    co_return DnsCache::Endpoints(results.begin(), results.end());
}
}  // namespace

asio::awaitable<void> DnsCache::refresh_loop(asio::io_context& ioc) {
    asio::steady_timer timer(ioc);
    for (;;) {
        timer.expires_after(kRefresh);
        auto [ec] = co_await timer.async_wait(kErasedTuple);
        if (ec) co_return;
        for (const auto& [host, port] : names(Clock::now())) {
            auto endpoints = co_await resolve(ioc, host, port);
            if (endpoints)
                store(host, port, std::move(*endpoints), Clock::now());
            else  // keep the last good addresses: a DNS hiccup must not cut traffic off
                log::warn("upstream name not re-resolved", {{"host", host}});
        }
    }
}

}  // namespace gw::server
