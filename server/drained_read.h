// A socket read that remembers when it drained the socket, as nginx does.
//
// Why: Asio tries every read at once (a "speculative" recv) and only waits on epoll when that
// recv fails with EAGAIN. A proxy reads a socket again as soon as it has answered on it: the
// next request from a keep-alive client, the response right after the request went upstream.
// Neither has arrived yet, so Asio's first recv fails every time: on `small` the gateway made
// 3.9 recv calls per proxied request where nginx makes 1.9, and on `respond` 1.95 against 1.0
// (perf stat, syscalls:sys_enter_recvfrom). nginx stops reading when a recv returns less than
// it asked for and waits for epoll's next edge before the next recv.
//
// The same here: the read's reactor operation reports a short read as "done and exhausted",
// the status Asio's own read uses for end of stream. The reactor then skips the speculative
// recv of the next read on this socket until epoll reports the socket readable again, under
// the same descriptor lock as the recv, so no edge can be lost between the two: a short TCP
// read took everything queued (the receive queue and the backlog), and data that comes later
// wakes epoll (registered edge-triggered for input from the start).
//
// How: it is Asio's reactive_socket_recv_op with that one difference in perform, started on the
// socket's reactor as basic_stream_socket::async_read_some would start it. That reaches into
// Asio's implementation (the socket's implementation, reached by the pointer to a protected
// member that any derived class may form), so it is tied to the version checked below and to
// the epoll reactor. The reactor is looked up once per stream (reactor_of: a service registry
// lookup, under its mutex), not per read.
#pragma once

#include <cstddef>
#include <memory>
#include <utility>

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

// The socket's implementation (basic_socket::impl_, protected): a pointer to that member, formed
// through a derived class, applies to any Socket. Never instantiated.
struct SocketAccess : Socket {
    static ad::io_object_impl<Service, Executor>& object(Socket& s) {
        return s.*(&SocketAccess::impl_);
    }
};

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

template <class Handler>
class RecvOp : public ad::reactor_op {
public:
    BOOST_ASIO_DEFINE_HANDLER_PTR(RecvOp);

    RecvOp(int fd, boost::asio::mutable_buffer buffer, Handler& handler, const Executor& ex)
        : ad::reactor_op(boost::system::error_code(), &RecvOp::do_perform, &RecvOp::do_complete),
          fd_(fd), buffer_(buffer), handler_(std::move(handler)), work_(handler_, ex) {}

    static status do_perform(ad::reactor_op* base) {
        auto* o = static_cast<RecvOp*>(base);
        if (!ad::socket_ops::non_blocking_recv1(o->fd_, o->buffer_.data(), o->buffer_.size(), 0,
                                                true, o->ec_, o->bytes_transferred_))
            return not_done;  // EAGAIN: wait for epoll
        // End of stream (as in Asio's read) or less than asked for: the socket is drained.
        if (o->ec_ == boost::asio::error::eof ||
            (!o->ec_ && o->bytes_transferred_ < o->buffer_.size()))
            return done_and_exhausted;
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

// The reactor of the socket's io_context.
inline Reactor& reactor_of(Socket& socket) {
    return boost::asio::use_service<Reactor>(socket.get_executor().context());
}

// Starts a read of some bytes into `buffer`, completing with (error_code, bytes) like
// socket.async_read_some; `reactor` is reactor_of(socket). An empty buffer completes at once
// with 0 bytes, as there.
template <class Handler>
void async_read_some(Socket& socket, Reactor& reactor, boost::asio::mutable_buffer buffer,
                     Handler&& handler) {
    namespace ad = boost::asio::detail;
    using Op = impl::RecvOp<std::decay_t<Handler>>;
    auto& object = impl::SocketAccess::object(socket);
    auto& s = object.get_implementation();

    const bool is_continuation = boost_asio_handler_cont_helpers::is_continuation(handler);
    auto slot = boost::asio::get_associated_cancellation_slot(handler);
    typename Op::ptr p = {std::addressof(handler), Op::ptr::allocate(handler), nullptr};
    p.p = new (p.v) Op(s.socket_, buffer, handler, socket.get_executor());
    if (slot.is_connected())
        p.p->cancellation_key_ =
            &slot.template emplace<impl::Cancellation>(&reactor, &s.reactor_data_, s.socket_);

    // As reactive_socket_service_base::start_op: the socket is made non-blocking once.
    if (buffer.size() != 0 &&
        ((s.state_ & ad::socket_ops::non_blocking) ||
         ad::socket_ops::set_internal_non_blocking(s.socket_, s.state_, true, p.p->ec_)))
        reactor.start_op(ad::reactor::read_op, s.socket_, s.reactor_data_, p.p, is_continuation,
                         true);
    else
        reactor.post_immediate_completion(p.p, is_continuation);
    p.v = p.p = nullptr;
}

}  // namespace gw::server::drained
