// A socket read that remembers when it drained the socket, as nginx does.
//
// Why: Asio tries every read at once (a "speculative" recv) and only waits on epoll when that
// recv fails with EAGAIN. A proxy reads a socket again as soon as it has answered on it: the
// next request from a keep-alive client, the response right after the request went upstream.
// Neither has arrived yet, so Asio's first recv fails every time: on `small` the gateway made
// 3.9 recv calls per proxied request where nginx makes 1.9, and on `respond` 1.95 against 1.0
// (perf stat, syscalls:sys_enter_recvfrom). nginx stops reading when a recv returns less than
// it asked for and nothing is pending (EPOLLRDHUP), and waits for epoll's next edge.
//
// The same here: the read's reactor operation reports a drained socket as "done and
// exhausted", the status Asio's own read gives a read of 0 bytes (the end, or an error). The
// reactor then skips the speculative recv of the next read on this socket until epoll reports
// it readable again (the socket is registered edge-triggered for input from the start).
// Drained means: the recv returned less than asked for and the kernel's TCP_INQ hint, a control
// message on the same recvmsg, says 0 bytes are left. A short read alone is not enough: a FIN
// queued behind the data is reported by the next recv (as 0 bytes) and raises no new epoll
// edge; the hint counts it as 1 byte left. Data that arrives after the recv raises a new edge,
// whose handling runs after this operation (one thread runs the io_context; with several, the
// descriptor's lock orders them), so it is not lost.
//
// Not covered: a reset queued behind the last data is not in the hint, and the next read then
// waits for its deadline instead of failing at once with ECONNRESET. A peer that aborts does
// that, and so does one that closes with bytes of ours unread (Linux answers those with a
// reset): an upstream that answers early without reading the request body. Where a read after
// the data matters, a body that runs to the close, the stream reads eagerly instead
// (DeadlineStream::read_eagerly: a recv at once, as Asio would). Elsewhere the wait ends at the
// read's deadline (the header, idle or 500 ms early-answer timeout) with the same outcome.
//
// TCP_INQ is set on the listening socket (accepted sockets inherit it) and on each upstream
// socket: enable_hint(). Without it (a kernel before 4.18, a socket not set) the hint is
// missing and every read tries the socket at once, as Asio's does.
//
// How: it is Asio's reactive_socket_recv_op with that difference in perform, started on the
// socket's reactor as basic_stream_socket::async_read_some would start it. That reaches into
// Asio's implementation (socket_state.h), so it is tied to the version checked below and to
// the epoll reactor. The reactor is looked up once per stream (reactor_of: a service registry
// lookup, under its mutex), not per read.
#pragma once

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <memory>
#include <utility>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/detail/fenced_block.hpp>
#include <boost/asio/detail/handler_alloc_helpers.hpp>
#include <boost/asio/detail/handler_cont_helpers.hpp>
#include <boost/asio/detail/handler_work.hpp>
#include <boost/asio/detail/reactive_socket_service.hpp>
#include <boost/asio/detail/reactor_op.hpp>
#include <boost/asio/detail/socket_ops.hpp>
#include <boost/version.hpp>

#include "server/executor.h"
#include "server/socket_state.h"

static_assert(BOOST_VERSION == 108100,
              "server/drained_read.h follows Boost.Asio 1.81's reactive socket read: "
              "re-check it against this Boost before changing the version");
#if !defined(BOOST_ASIO_HAS_EPOLL) || defined(BOOST_ASIO_HAS_IO_URING_AS_DEFAULT)
#error "server/drained_read.h needs Asio's epoll reactor"
#endif

namespace gw::server::drained {

namespace impl {
namespace ad = boost::asio::detail;
using Service = ad::reactive_socket_service<boost::asio::ip::tcp>;

// Asio's reactor_op_cancellation (protected in the service): per-operation cancellation.
class Cancellation {
public:
    Cancellation(ad::reactor* r, ad::reactor::per_descriptor_data* d, int fd)
        : reactor_(r), data_(d), fd_(fd) {}
    void operator()(boost::asio::cancellation_type_t type) {
        using boost::asio::cancellation_type;
        if (!!(type & (cancellation_type::terminal | cancellation_type::partial |
                       cancellation_type::total)))
            reactor_->cancel_ops_by_key(fd_, *data_, ad::reactor::read_op, this);
    }

private:
    ad::reactor* reactor_;
    ad::reactor::per_descriptor_data* data_;
    int fd_;
};

}  // namespace impl

// A non-blocking recv's result n (errno set when negative) as Asio's read reports it: false
// when nothing was there (EAGAIN); otherwise the bytes, and eof for 0 or the error.
inline bool recv_outcome(ssize_t n, boost::system::error_code& ec, std::size_t& bytes) {
    bytes = n > 0 ? static_cast<std::size_t>(n) : 0;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;
    ec = n < 0    ? socket_state::error_of(errno)
         : n == 0 ? boost::system::error_code(boost::asio::error::eof)
                  : boost::system::error_code();
    return true;
}

namespace impl {
// The operation whose start (the reactor's attempt in start_op) is declined: set on this
// thread around start_op only, so an attempt after an epoll report, on any thread, is made.
inline thread_local const ad::reactor_op* declined_start = nullptr;

template <class Handler>
class RecvOp : public ad::reactor_op {
public:
    BOOST_ASIO_DEFINE_HANDLER_PTR(RecvOp);

    RecvOp(int fd, boost::asio::mutable_buffer buffer, Handler& handler, const Executor& ex)
        : ad::reactor_op(boost::system::error_code(), &RecvOp::do_perform, &RecvOp::do_complete),
          fd_(fd), buffer_(buffer), handler_(std::move(handler)), work_(handler_, ex) {}

    static status do_perform(ad::reactor_op* base) {
        auto* o = static_cast<RecvOp*>(base);
        if (declined_start == base) return not_done;  // the attempt at the start: wait instead
        iovec iov{o->buffer_.data(), o->buffer_.size()};
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        ssize_t n;
        do {
            n = ::recvmsg(o->fd_, &msg, 0);
        } while (n < 0 && errno == EINTR);
        if (!recv_outcome(n, o->ec_, o->bytes_transferred_)) return not_done;  // wait for epoll
        if (o->ec_) return o->ec_ == boost::asio::error::eof ? done_and_exhausted : done;
        if (o->bytes_transferred_ == o->buffer_.size() || (msg.msg_flags & MSG_CTRUNC)) return done;
        for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
            if (c->cmsg_level != SOL_TCP || c->cmsg_type != TCP_CM_INQ ||
                c->cmsg_len < CMSG_LEN(sizeof(int)))
                continue;
            int left = -1;
            std::memcpy(&left, CMSG_DATA(c), sizeof left);
            if (left == 0) return done_and_exhausted;
        }
        return done;
    }

    static void do_complete(void* owner, ad::operation* base, const boost::system::error_code&,
                            std::size_t) {
        auto* o = static_cast<RecvOp*>(base);
        ptr p = {std::addressof(o->handler_), o, o};
        ad::handler_work<Handler, Executor> w(std::move(o->work_));
        // The handler is moved out before the operation's memory goes back (a sub-object of
        // the handler may own that memory), then called.
        ad::binder2<Handler, boost::system::error_code, std::size_t> handler(
            o->handler_, o->ec_, o->bytes_transferred_);
        p.h = std::addressof(handler.handler_);
        p.reset();
        if (owner) {
            ad::fenced_block b(ad::fenced_block::half);
            w.complete(handler, handler.handler_);
        }
    }

private:
    int fd_;
    boost::asio::mutable_buffer buffer_;
    Handler handler_;
    ad::handler_work<Handler, Executor> work_;
};
}  // namespace impl

using Reactor = boost::asio::detail::reactor;

// Asks the kernel for the hint on `socket`'s reads (and, on a listening socket, on the reads of
// the connections it accepts). A failure only leaves the hint off.
inline void enable_hint(int native_socket) {
    int one = 1;
    ::setsockopt(native_socket, SOL_TCP, TCP_INQ, &one, sizeof one);
}

// The reactor of the socket's io_context.
inline Reactor& reactor_of(Socket& socket) {
    return boost::asio::use_service<Reactor>(socket.get_executor().context());
}

// Starts a read of some bytes into `buffer`, completing with (error_code, bytes) like
// socket.async_read_some; `reactor` is reactor_of(socket). An empty buffer completes at once
// with 0 bytes, as there. try_first false: no recv before epoll reports the socket readable
// (DeadlineStream::await_readable says when that is safe). The reactor's own attempt at the
// start is declined from inside the operation (impl::declined_start) rather than with
// start_op's allow_speculative false, which costs an epoll_ctl to re-arm the descriptor.
template <class Handler>
void async_read_some(Socket& socket, Reactor& reactor, boost::asio::mutable_buffer buffer,
                     Handler&& handler, bool try_first = true) {
    namespace ad = boost::asio::detail;
    using Op = impl::RecvOp<std::decay_t<Handler>>;
    auto& s = socket_state::implementation(socket);

    const bool is_continuation = boost_asio_handler_cont_helpers::is_continuation(handler);
    auto slot = boost::asio::get_associated_cancellation_slot(handler);
    typename Op::ptr p = {std::addressof(handler), Op::ptr::allocate(handler), nullptr};
    p.p = new (p.v) Op(s.socket_, buffer, handler, socket.get_executor());
    if (slot.is_connected())
        p.p->cancellation_key_ =
            &slot.template emplace<impl::Cancellation>(&reactor, &s.reactor_data_, s.socket_);

    // As reactive_socket_service_base::start_op: the socket is made non-blocking once.
    Op* op = p.p;
    p.v = p.p = nullptr;
    if (buffer.size() != 0 && socket_state::for_async_operations(s, op->ec_)) {
        if (!try_first) impl::declined_start = op;
        reactor.start_op(ad::reactor::read_op, s.socket_, s.reactor_data_, op, is_continuation,
                         true);
        impl::declined_start = nullptr;  // the operation is the reactor's now: not touched
    } else {
        reactor.post_immediate_completion(op, is_continuation);
    }
}

}  // namespace gw::server::drained
