// Per-worker keep-alive pools of upstream connections, one list per target URL. Touched only
// by the owning worker's thread: no locks. Also owns the worker's client TLS contexts, one per
// upstream definition.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/system/error_code.hpp>

#include "config/types.h"
#include "server/dns_cache.h"
#include "server/executor.h"
#include "server/last_lookup.h"
#include "server/metrics.h"
#include "server/upstream_connection.h"

namespace gw::server {

class UpstreamPool {
public:
    // dns: the shared cache of target names (null: resolve at every connect).
    explicit UpstreamPool(asio::io_context& ioc, DnsCache* dns = nullptr)
        : ioc_(ioc), dns_(dns) {}

    // An idle pooled connection to the target, else a new one (connect, TLS handshake).
    // retryable: the caller will retry on a fresh connection if this one proves closed.
    // Errors: beast::error::timeout for a connect timeout, others for refused/unreachable.
    Task<UpstreamConnectionPtr> acquire(const std::shared_ptr<const config::Upstream>& upstream,
                                        const config::Target& target, bool retryable,
                                        boost::system::error_code& ec);
    // The idle pooled connection acquire() would take, or null; no coroutine frame for the
    // common case of a warm pool.
    UpstreamConnectionPtr take_idle(const std::shared_ptr<const config::Upstream>& upstream,
                                    const config::Target& target, bool retryable);

    // Connects a fresh connection, skipping the pool (used after a stale pooled one failed).
    Task<UpstreamConnectionPtr> connect(const std::shared_ptr<const config::Upstream>& upstream,
                                        const config::Target& target,
                                        boost::system::error_code& ec);

    // Returns a connection whose last exchange completed cleanly and may be reused.
    void release(UpstreamConnectionPtr conn, const config::Upstream& upstream);

    // Closes connections idle longer than their upstream allows; called by the worker's timer.
    void sweep(std::chrono::steady_clock::time_point now);

    std::size_t idle_count() const;

private:
    std::shared_ptr<asio::ssl::context> tls_context(
        const std::shared_ptr<const config::Upstream>& upstream);
    // Resolves a target's host name (first connection to it), storing the result in dns_.
    Task<DnsCache::Endpoints> resolve(const config::Target& target, config::Duration timeout,
                                      boost::system::error_code& ec);

    struct IdleList {
        std::vector<UpstreamConnectionPtr> conns;  // LIFO: the warmest first
        config::Duration idle_timeout{};
    };
    struct TlsEntry {
        std::shared_ptr<const config::Upstream> upstream;  // pins the key's address
        std::shared_ptr<asio::ssl::context> ctx;
    };

    using IdleMap = std::unordered_map<std::string, IdleList, StringHash, std::equal_to<>>;

    asio::io_context& ioc_;
    DnsCache* dns_;
    IdleMap idle_;
    LastLookup<IdleMap> last_list_;  // the target used last: a URL compare, not two hashes
    std::unordered_map<const config::Upstream*, TlsEntry> tls_;
};

}  // namespace gw::server
