// State shared by all workers, built once at start by the App. Each member says how threads
// use it.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>

#include <boost/asio/ssl/context.hpp>

#include "server/access_log.h"
#include "server/config_store.h"
#include "server/dns_cache.h"
#include "server/metrics.h"

namespace gw::middleware {
class Registry;
}

namespace gw::server {

struct SharedState {
    ConfigStore config;                                   // atomic snapshot swap
    std::unique_ptr<Metrics> metrics;                     // per-worker writers, summed at scrape
    std::shared_ptr<AccessLog> access_log;                // immutable after start
    std::shared_ptr<boost::asio::ssl::context> server_tls;  // null: plain HTTP; read-only
    std::atomic<std::size_t> connections{0};              // across workers, for max_connections
    std::atomic<bool> draining{false};                    // set once by SIGTERM
    DnsCache dns;  // upstream names: workers read, the control thread refreshes
    middleware::Registry* registry = nullptr;  // outlives the App; its members are thread-safe
};

}  // namespace gw::server
