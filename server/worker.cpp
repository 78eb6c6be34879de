#include "server/worker.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream_base.hpp>

#include "server/drained_read.h"
#include "server/log.h"
#include "server/session.h"
#include "server/socket_state.h"
#include "server/stream_ops.h"

namespace gw::server {

BufferPool::Handle BufferPool::take() {
    if (free_.empty()) return Handle(new char[kSize], Deleter{this});
    char* p = free_.back();
    free_.pop_back();
    return Handle(p, Deleter{this});
}

void BufferPool::give_back(char* p) {
    if (free_.size() >= 64) {  // keep a bounded reserve; the rest goes back to the heap
        delete[] p;
        return;
    }
    free_.push_back(p);
}

BufferPool::~BufferPool() {
    for (char* p : free_) delete[] p;
}

Worker::Worker(std::size_t index, SharedState& shared)
    : index_(index), shared_(shared), view_(shared.config),
      balancer_(0x9e3779b97f4a7c15ull * (index + 1)) {}

asio::ip::tcp::endpoint Worker::listen(const asio::ip::tcp::endpoint& ep) {
    auto a = std::make_unique<Acceptor>(ioc_);
    a->open(ep.protocol());
    a->set_option(asio::socket_base::reuse_address(true));
    int one = 1;
    ::setsockopt(a->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    // Accepted connections inherit these (Linux copies the listener's TCP options into the
    // sockets it accepts), which spares a setsockopt per connection.
    drained::enable_hint(a->native_handle());
    a->set_option(asio::ip::tcp::no_delay(true));
    if (ep.protocol() == asio::ip::tcp::v6()) a->set_option(asio::ip::v6_only(true));
    a->bind(ep);
    a->listen(asio::socket_base::max_listen_connections);
    auto bound = a->local_endpoint();
    acceptors_.push_back(std::move(a));
    return bound;
}

void Worker::start() {
    for (auto& a : acceptors_)
        asio::co_spawn(ioc_, accept_loop(*a), log::on_exception("accept loop failed"));
    asio::co_spawn(ioc_, sweep_loop(), log::on_exception("pool sweep failed"));
    thread_ = std::thread([this] {
        for (;;) {
            try {
                ioc_.run();
                return;
            } catch (const std::exception& e) {
                log::error("worker error", {{"error", e.what()}});
            }
        }
    });
}

void Worker::begin_drain() {
    asio::post(ioc_, [this] {
        draining_ = true;
        boost::system::error_code ec;
        for (auto& a : acceptors_) a->close(ec);
        close_idle();
        sweep_timer_.cancel();
    });
}

void Worker::close_idle() {
    boost::system::error_code ec;
    for (auto& e : idle_) e.socket->cancel(ec);
}

void Worker::stop() { ioc_.stop(); }

void Worker::join() {
    if (thread_.joinable()) thread_.join();
}

Task<void> Worker::sweep_loop() {
    while (!draining_) {
        sweep_timer_.expires_after(std::chrono::seconds(1));
        auto [ec] = co_await sweep_timer_.async_wait(kTuple);
        if (ec) co_return;
        pool_.sweep(std::chrono::steady_clock::now());
    }
}

namespace {
Task<void> tls_session(DeadlineStream tcp, Worker& worker, asio::ip::address peer, ConnectionSlot slot) {
    TlsStream stream(std::move(tcp), *worker.shared().server_tls);
    beast::get_lowest_layer(stream).expires_after(worker.config()->server.limits.header_timeout);
    auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kTuple);
    if (ec) co_return;
    co_await run_session(std::move(stream), worker, peer, std::move(slot));
}

}  // namespace

Task<void> Worker::accept_loop(Acceptor& acceptor) {
    for (;;) {
        // The peer's address comes with accept() itself (no getpeername).
        Socket socket(ioc_);
        asio::ip::tcp::endpoint peer_ep;
        auto [ec] = co_await acceptor.async_accept(socket, peer_ep, kTuple);
        if (ec) {
            if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
            // EMFILE and friends: keep serving the connections we have, and do not spin.
            accept_backoff_.expires_after(std::chrono::milliseconds(50));
            co_await accept_backoff_.async_wait(kTuple);
            continue;
        }
        socket_state::owns_descriptor(socket);  // made by accept(): close() unregisters it
        auto max = view_.get()->server.limits.max_connections;
        if (shared_.connections.fetch_add(1, std::memory_order_relaxed) >= max) {
            shared_.connections.fetch_sub(1, std::memory_order_relaxed);
            boost::system::error_code ignored;
            socket.close(ignored);  // over the limit: refuse at once, cheaply
            continue;
        }
        ConnectionSlot slot(*this);
        auto peer = peer_ep.address();
        DeadlineStream stream(std::move(socket));
        if (shared_.server_tls)
            asio::co_spawn(ioc_, tls_session(std::move(stream), *this, peer, std::move(slot)), log::on_exception("session failed"));
        else
            asio::co_spawn(ioc_, run_session(std::move(stream), *this, peer, std::move(slot)), log::on_exception("session failed"));
    }
}

}  // namespace gw::server
