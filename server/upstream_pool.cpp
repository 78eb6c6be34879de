#include "server/upstream_pool.h"

#include <openssl/ssl.h>
#include <sys/socket.h>

#include <cerrno>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>

#include "server/log.h"
#include "server/stream_ops.h"
#include "server/tls.h"

namespace gw::server {
namespace {
using tcp = asio::ip::tcp;

// An idle keep-alive connection must have nothing to read: end-of-file means the upstream
// closed it (Node and others do after ~5 s), and stray bytes would be taken for the next
// answer. One non-blocking peek is far cheaper than a 502 or a desynchronised stream.
bool still_open(UpstreamConnection& c) {
    if (c.buffer.size() != 0) return false;
    char byte;
    ssize_t n = ::recv(c.tcp().socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}
}  // namespace

std::shared_ptr<asio::ssl::context> UpstreamPool::tls_context(
    const std::shared_ptr<const config::Upstream>& upstream) {
    auto it = tls_.find(upstream.get());
    if (it != tls_.end()) return it->second.ctx;
    auto ctx = make_client_tls(upstream->tls);
    tls_.emplace(upstream.get(), TlsEntry{upstream, ctx});
    return ctx;
}

UpstreamConnectionPtr UpstreamPool::take_idle(
    const std::shared_ptr<const config::Upstream>& upstream, const config::Target& target,
    bool retryable) {
    IdleList* list = last_list_.find(idle_, target.url);
    if (!list) return nullptr;
    auto& conns = list->conns;
    auto now = std::chrono::steady_clock::now();
    while (!conns.empty()) {
        UpstreamConnectionPtr c = std::move(conns.back());
        conns.pop_back();
        if (now - c->idle_since > upstream->keepalive_idle_timeout) continue;
        // A request that cannot be retried (it has a body, or is not idempotent) gets the
        // peek; one that can is retried on a fresh connection if this one turns out closed,
        // which saves a syscall per request on the common path.
        if (!retryable && !still_open(*c)) continue;
        // A TLS connection made for an older definition of the upstream is not reused.
        if (c->is_tls()) {
            auto t = tls_.find(upstream.get());
            if (t == tls_.end() || t->second.ctx != c->tls_context()) continue;
        }
        c->reused = true;
        return c;
    }
    return nullptr;
}

Task<UpstreamConnectionPtr> UpstreamPool::acquire(
    const std::shared_ptr<const config::Upstream>& upstream, const config::Target& target,
    bool retryable, boost::system::error_code& ec) {
    if (auto c = take_idle(upstream, target, retryable)) {
        ec = {};
        co_return c;
    }
    co_return co_await connect(upstream, target, ec);
}

Task<DnsCache::Endpoints> UpstreamPool::resolve(const config::Target& target,
                                                config::Duration timeout,
                                                boost::system::error_code& ec) {
    // getaddrinfo has no timeout of its own: race it against connect_timeout, so a dead
    // resolver gives a 504 instead of a request that never ends.
    Resolver resolver(ioc_);
    Timer deadline(ioc_);
    deadline.expires_after(timeout);
    using namespace asio::experimental::awaitable_operators;
    auto raced = co_await (resolver.async_resolve(target.host, std::to_string(target.port),
                                                  kTuple) ||
                           deadline.async_wait(kTuple));
    if (raced.index() == 1) {
        ec = beast::error::timeout;
        co_return DnsCache::Endpoints{};
    }
    auto [re, results] = std::get<0>(std::move(raced));
    ec = re;
    DnsCache::Endpoints endpoints(results.begin(), results.end());
    if (!ec && dns_)
        dns_->store(target.host, target.port, endpoints, std::chrono::steady_clock::now());
    co_return endpoints;
}

Task<UpstreamConnectionPtr> UpstreamPool::connect(
    const std::shared_ptr<const config::Upstream>& upstream, const config::Target& target,
    boost::system::error_code& ec) {
    UpstreamConnectionPtr c;
    try {
        c = target.tls ? std::make_unique<UpstreamConnection>(ioc_.get_executor(),
                                                              tls_context(upstream))
                       : std::make_unique<UpstreamConnection>(ioc_.get_executor());
    } catch (const boost::system::system_error& e) {
        ec = e.code();  // e.g. a CA file that went away since the config was checked
        co_return nullptr;
    }
    c->key = target.url;
    auto& stream = c->tcp();
    stream.expires_after(upstream->connect_timeout);
    // An IP literal was parsed at load (target.ip); one in a config built by hand is parsed
    // here.
    boost::system::error_code addr_ec;
    auto addr = target.ip ? *target.ip : asio::ip::make_address(target.host, addr_ec);
    if (!addr_ec) {
        auto [e] = co_await stream.async_connect(tcp::endpoint(addr, target.port), kTuple);
        ec = e;
    } else if (auto cached = dns_ ? dns_->lookup(target.host, target.port,
                                                 std::chrono::steady_clock::now())
                                  : std::nullopt) {
        auto [e, ep] = co_await stream.async_connect(*cached, kTuple);
        ec = e;
    } else {
        auto results = co_await resolve(target, upstream->connect_timeout, ec);
        if (ec) co_return nullptr;
        stream.expires_after(upstream->connect_timeout);
        auto [e, ep] = co_await stream.async_connect(results, kTuple);
        ec = e;
    }
    if (ec) co_return nullptr;
    boost::system::error_code opt_ec;
    stream.socket().set_option(tcp::no_delay(true), opt_ec);
    drained::enable_hint(stream.socket().native_handle());
    if (c->is_tls()) {
        const std::string& sni = upstream->tls.sni.empty() ? target.host : upstream->tls.sni;
        if (!SSL_set_tlsext_host_name(c->tls().native_handle(), sni.c_str())) {
            ec = boost::system::error_code(static_cast<int>(::ERR_get_error()),
                                           asio::error::get_ssl_category());
            co_return nullptr;
        }
        if (upstream->tls.verify)
            c->tls().set_verify_callback(asio::ssl::host_name_verification(sni));
        auto [he] = co_await c->tls().async_handshake(asio::ssl::stream_base::client, kTuple);
        if (he) {
            ec = he;
            co_return nullptr;
        }
    }
    ec = {};
    co_return c;
}

void UpstreamPool::release(UpstreamConnectionPtr conn, const config::Upstream& upstream) {
    IdleList* list = last_list_.find(idle_, conn->key);
    if (!list) list = last_list_.remember(idle_.emplace(conn->key, IdleList{}).first);
    list->idle_timeout = upstream.keepalive_idle_timeout;
    if (list->conns.size() >= upstream.keepalive_max_idle) return;  // dropped: closes
    conn->idle_since = std::chrono::steady_clock::now();
    conn->tcp().expires_never();
    list->conns.push_back(std::move(conn));
}

void UpstreamPool::sweep(std::chrono::steady_clock::time_point now) {
    for (auto it = idle_.begin(); it != idle_.end();) {
        auto& conns = it->second.conns;
        std::erase_if(conns, [&](const UpstreamConnectionPtr& c) {
            return now - c->idle_since > it->second.idle_timeout;
        });
        if (!conns.empty()) {
            ++it;
            continue;
        }
        last_list_.forget(&it->second);
        it = idle_.erase(it);
    }
    std::erase_if(tls_, [](const auto& kv) { return kv.second.upstream.use_count() == 1; });
}

std::size_t UpstreamPool::idle_count() const {
    std::size_t n = 0;
    for (const auto& [_, list] : idle_) n += list.conns.size();
    return n;
}

}  // namespace gw::server
