// A TCP stream with Beast's tcp_stream timeout contract (expires_after / expires_at /
// expires_never before an operation; an operation still pending at the deadline fails with
// beast::error::timeout and the socket is closed) at a fraction of its cost.
//
// Why: beast::basic_stream arms its timer for every read and write and cancels it when the
// operation ends: a timer-queue insert, a removal and an extra completion per operation, about
// 8% of a proxied request's instructions. Here a deadline is a stored time_point. The one
// timer of a connection is armed only when nothing is armed yet or the new deadline is earlier
// than the armed one; when it fires before the current deadline it is re-armed to it. So a busy
// keep-alive connection touches its timer about once per timeout period, not per operation.
//
// Header-only, like the rest of the session templates that use it.
//
// Threads: a stream and its state belong to the worker that made it; nothing here is shared.
// The state is reference counted (like basic_stream's) so that a completion still queued when
// the stream is destroyed finds it alive.
#pragma once

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>

#include <boost/asio/associated_allocator.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/error.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/drained_read.h"
#include "server/executor.h"
#include "server/socket_state.h"

namespace gw::server {

class DeadlineStream {
public:
    using executor_type = Executor;
    using socket_type = Socket;
    using lowest_layer_type = Socket;  // for asio::ssl::stream
    using endpoint_type = boost::asio::ip::tcp::endpoint;
    using Clock = std::chrono::steady_clock;

    explicit DeadlineStream(const Executor& ex) : s_(std::make_shared<State>(Socket(ex))) {}
    explicit DeadlineStream(Socket socket) : s_(std::make_shared<State>(std::move(socket))) {}
    DeadlineStream(DeadlineStream&&) noexcept = default;
    DeadlineStream& operator=(DeadlineStream&&) = delete;
    ~DeadlineStream();

    Executor get_executor() const noexcept { return s_->socket.get_executor(); }
    Socket& socket() { return s_->socket; }
    Socket& lowest_layer() { return s_->socket; }
    const Socket& lowest_layer() const { return s_->socket; }

    template <class Rep, class Period>
    void expires_after(std::chrono::duration<Rep, Period> d) {
        expires_at(Clock::now() + std::chrono::duration_cast<Clock::duration>(d));
    }
    void expires_at(Clock::time_point t);
    void expires_never() { s_->deadline = Clock::time_point::max(); }
    // While on, a read first tries the socket at once, even when the last read drained it.
    // For a body that runs to the close: a reset queued behind its last bytes is not in the
    // drained-read hint (drained_read.h), and the read would otherwise wait for its deadline.
    void read_eagerly(bool on) { s_->eager = on; }
    // The next read (only that one) waits for epoll to report the socket readable instead of
    // trying it first, if the connection was quiet when its connect completed: made by
    // async_connect(endpoint), established, nothing received (no byte, no FIN; TCP_INFO). For
    // the first read of a fresh upstream connection right after the request went out in one
    // write: what the peer sends after that check raises an epoll edge, which the read gets;
    // the recv tried first would fail with EAGAIN. The caller must not have waited on epoll
    // since the connect completed (an edge taken then, with no read pending, would be lost).
    void await_readable() { s_->await_readable = std::exchange(s_->quiet, false); }
    void cancel();
    void close();

    template <class Buffers, class Token>
    auto async_read_some(const Buffers& buffers, Token&& token) {
        return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
            [](auto handler, const std::shared_ptr<State>& s, const Buffers& b) {
                start(s);
                // One buffer (every read of ours): a read that remembers a drained socket and
                // spares the next read's recv that would fail with EAGAIN (drained_read.h).
                if constexpr (std::is_convertible_v<const Buffers&, boost::asio::mutable_buffer>) {
                    const boost::asio::mutable_buffer one(b);
                    const bool try_first = !std::exchange(s->await_readable, false);
                    if (s->eager && try_now(s, one, handler)) return;
                    drained::async_read_some(s->socket, *s->reactor, one,
                                             Done<decltype(handler)>{std::move(handler), s},
                                             try_first);
                } else {
                    s->socket.async_read_some(b, Done<decltype(handler)>{std::move(handler), s});
                }
            },
            token, s_, buffers);
    }

    template <class Buffers, class Token>
    auto async_write_some(const Buffers& buffers, Token&& token) {
        return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
            [](auto handler, const std::shared_ptr<State>& s, const Buffers& b) {
                start(s);
                s->socket.async_write_some(b, Done<decltype(handler)>{std::move(handler), s});
            },
            token, s_, buffers);
    }

    // Opens the socket (when closed) and connects it. Unlike Asio's connect, which polls the
    // socket once more after epoll reports it writable, this reads the outcome in one call
    // straight away (the TCP state, see Connected); and the socket is made non-blocking as it
    // is created.
    template <class Token>
    auto async_connect(const endpoint_type& ep, Token&& token) {
        return boost::asio::async_initiate<Token, void(boost::system::error_code)>(
            [](auto handler, const std::shared_ptr<State>& s, const endpoint_type& e) {
                start(s);
                Connected<decltype(handler)> done{{std::move(handler), s}};
                boost::system::error_code ec;
                if (start_connect(s->socket, e, ec)) {
                    s->socket.async_wait(Socket::wait_write, std::move(done));
                } else {
                    boost::asio::post(s->socket.get_executor(),
                                      [done = std::move(done), ec]() mutable { done.finish(ec); });
                }
            },
            token, s_, ep);
    }

    // Tries each endpoint in turn, all under the one deadline.
    template <class Endpoints, class Token>
    auto async_connect(const Endpoints& eps, Token&& token) {
        return boost::asio::async_initiate<Token,
                                           void(boost::system::error_code, endpoint_type)>(
            [](auto handler, const std::shared_ptr<State>& s, const Endpoints& e) {
                start(s);
                boost::asio::async_connect(s->socket, e,
                                           Done<decltype(handler)>{std::move(handler), s});
            },
            token, s_, eps);
    }

private:
    struct State {
        explicit State(Socket s)
            : socket(std::move(s)), timer(socket.get_executor()),
              reactor(&drained::reactor_of(socket)) {}
        Socket socket;
        Timer timer;
        drained::Reactor* reactor;
        bool eager = false;       // read_eagerly
        bool quiet = false;           // nothing received when the connect completed
        bool await_readable = false;  // await_readable: the next read only
        Clock::time_point deadline = Clock::time_point::max();
        Clock::time_point armed = Clock::time_point::max();  // max: no wait pending
        unsigned generation = 0;  // of the timer wait; a stale completion is ignored
        unsigned pending = 0;     // operations in flight
        bool timed_out = false;
        bool orphaned = false;    // the stream is gone: the timer must not re-arm
    };

    // An operation's completion: counts it done and reports an expiry as a timeout. Forwards
    // the handler's executor, allocator and cancellation slot.
    template <class Handler>
    struct Done {
        Handler handler;
        std::shared_ptr<State> s;

        using executor_type = boost::asio::associated_executor_t<Handler, Executor>;
        executor_type get_executor() const noexcept {
            return boost::asio::get_associated_executor(handler, s->socket.get_executor());
        }
        using allocator_type = boost::asio::associated_allocator_t<Handler>;
        allocator_type get_allocator() const noexcept {
            return boost::asio::get_associated_allocator(handler);
        }
        using cancellation_slot_type = boost::asio::associated_cancellation_slot_t<Handler>;
        cancellation_slot_type get_cancellation_slot() const noexcept {
            return boost::asio::get_associated_cancellation_slot(handler);
        }

        template <class... Args>
        void operator()(boost::system::error_code ec, Args&&... args) {
            --s->pending;
            if (ec && s->timed_out) ec = boost::beast::error::timeout;
            auto keep = std::move(s);  // the handler may destroy the stream
            std::move(handler)(ec, std::forward<Args>(args)...);
        }
    };

    // A connect's completion, when epoll reports the socket writable. That report can be
    // stale: events queued for a descriptor closed since, whose reactor state this socket
    // reuses, complete the wait too (Asio's connect polls the socket again for that reason).
    // So the socket's TCP state decides, in one call: still connecting (SYN_SENT, or SYN_RECV
    // in a simultaneous open), it waits again (the new wait re-arms epoll, which reports a
    // connect that ended meanwhile); connected, done; otherwise its pending error is the
    // outcome.
    template <class Handler>
    struct Connected : Done<Handler> {
        void operator()(boost::system::error_code ec) {
            if (!ec) {
                Socket& socket = this->s->socket;
                TcpInfo info{};
                socklen_t len = sizeof info;
                if (::getsockopt(socket.native_handle(), IPPROTO_TCP, TCP_INFO, &info, &len) !=
                    0) {
                    ec = socket_state::error_of(errno);
                } else if (info.base.tcpi_state == TCP_SYN_SENT ||
                           info.base.tcpi_state == TCP_SYN_RECV) {
                    socket.async_wait(Socket::wait_write, std::move(*this));
                    return;
                } else if (info.base.tcpi_state != TCP_ESTABLISHED &&
                           info.base.tcpi_state != TCP_CLOSE_WAIT) {
                    ec = pending_error(socket.native_handle());
                } else {
                    this->s->quiet = info.base.tcpi_state == TCP_ESTABLISHED &&
                                     len >= sizeof info && info.bytes_received == 0;
                }
            }
            finish(ec);
        }
        void finish(boost::system::error_code ec) { Done<Handler>::operator()(ec); }
    };

    // The kernel's tcp_info as far as tcpi_bytes_received: glibc's struct stops at
    // tcpi_total_retrans, and the kernel only ever appends fields.
    struct TcpInfo {
        tcp_info base;
        std::uint64_t pacing_rate;
        std::uint64_t max_pacing_rate;
        std::uint64_t bytes_acked;
        std::uint64_t bytes_received;
    };
    static_assert(sizeof(tcp_info) == 104 && sizeof(TcpInfo) == 136,
                  "tcp_info layout: tcpi_bytes_received at 128 (linux/tcp.h)");

    // A failed connect's error (SO_ERROR); not_connected when the socket reports none.
    static boost::system::error_code pending_error(int fd) {
        int err = 0;
        socklen_t len = sizeof err;
        if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
        return err != 0 ? socket_state::error_of(err) : boost::asio::error::not_connected;
    }

    // Opens the socket non-blocking when it is closed, and starts connecting it. True when the
    // connect is in progress; false when it is done at once or failed (ec).
    static bool start_connect(Socket& socket, const endpoint_type& e,
                              boost::system::error_code& ec);
    static void start(const std::shared_ptr<State>& s);

    // read_eagerly's read: a non-blocking recv. True when it got bytes, the end or an error,
    // whose completion is then posted; false when nothing is there yet.
    template <class Handler>
    static bool try_now(const std::shared_ptr<State>& s, boost::asio::mutable_buffer b,
                        Handler& handler) {
        if (b.size() == 0) return false;
        ssize_t n;
        do {
            n = ::recv(s->socket.native_handle(), b.data(), b.size(), MSG_DONTWAIT);
        } while (n < 0 && errno == EINTR);
        boost::system::error_code ec;
        std::size_t got = 0;
        if (!drained::recv_outcome(n, ec, got)) return false;
        boost::asio::post(s->socket.get_executor(),
                          [done = Done<Handler>{std::move(handler), s}, ec, got]() mutable {
                              done(ec, got);
                          });
        return true;
    }
    static void arm(const std::shared_ptr<State>& s, Clock::time_point t);
    static void on_timer(const std::shared_ptr<State>& s, unsigned generation,
                         const boost::system::error_code& ec);

    std::shared_ptr<State> s_;
};

inline DeadlineStream::~DeadlineStream() {
    if (!s_) return;  // moved from
    // A pending wait or operation holds the state (and the socket): close now, as
    // basic_stream does, so the descriptor goes with the stream and operations still in flight
    // complete (aborted) instead of waiting on a peer with no deadline left to end them.
    s_->orphaned = true;
    boost::system::error_code ignored;
    s_->socket.close(ignored);
    if (s_->armed != Clock::time_point::max()) s_->timer.cancel();
}

inline void DeadlineStream::expires_at(Clock::time_point t) {
    s_->deadline = t;
    // An operation already waiting must not outlive an earlier deadline; otherwise the next
    // operation's start() arms the timer.
    if (s_->pending > 0 && t < s_->armed) arm(s_, t);
}

inline void DeadlineStream::cancel() {
    boost::system::error_code ignored;
    s_->socket.cancel(ignored);
}

inline void DeadlineStream::close() {
    boost::system::error_code ignored;
    s_->socket.close(ignored);
    if (s_->armed != Clock::time_point::max()) s_->timer.cancel();
}

inline bool DeadlineStream::start_connect(Socket& socket, const endpoint_type& e,
                                          boost::system::error_code& ec) {
    ec = {};
    if (!socket.is_open()) {
        int fd = ::socket(e.protocol().family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                          IPPROTO_TCP);
        if (fd < 0) {
            ec = socket_state::error_of(errno);
            return false;
        }
        socket.assign(e.protocol(), fd, ec);  // registers it with epoll
        if (ec) {
            ::close(fd);
            return false;
        }
        socket_state::created_non_blocking(socket);
        socket_state::owns_descriptor(socket);
    } else if (!socket_state::for_async_operations(socket_state::implementation(socket), ec)) {
        return false;
    }
    if (::connect(socket.native_handle(), e.data(), static_cast<socklen_t>(e.size())) == 0)
        return false;  // connected at once
    // EINTR: the connect goes on in the background, like EINPROGRESS.
    if (errno == EINPROGRESS || errno == EINTR) return true;
    ec = socket_state::error_of(errno);
    return false;
}

inline void DeadlineStream::start(const std::shared_ptr<State>& s) {
    ++s->pending;
    // Armed later than the deadline (or not at all): move the wait earlier. A deadline later
    // than the armed time is found when the timer fires.
    if (s->deadline < s->armed) arm(s, s->deadline);
}

inline void DeadlineStream::arm(const std::shared_ptr<State>& s, Clock::time_point t) {
    s->armed = t;
    const unsigned generation = ++s->generation;
    s->timer.expires_at(t);  // cancels the wait pending, whose completion is then stale
    s->timer.async_wait([s, generation](const boost::system::error_code& ec) {
        on_timer(s, generation, ec);
    });
}

inline void DeadlineStream::on_timer(const std::shared_ptr<State>& s, unsigned generation,
                                     const boost::system::error_code& ec) {
    if (generation != s->generation || s->orphaned) return;
    s->armed = Clock::time_point::max();
    if (ec || s->deadline == Clock::time_point::max()) return;
    if (Clock::now() < s->deadline) {  // the deadline moved on since the timer was armed
        arm(s, s->deadline);
        return;
    }
    // Past the deadline with nothing waiting: the next operation starts the timer again and
    // fails at once, as with basic_stream.
    if (s->pending == 0) return;
    s->timed_out = true;
    boost::system::error_code ignored;
    s->socket.close(ignored);  // the operations in flight complete with an error: a timeout
}

}  // namespace gw::server
