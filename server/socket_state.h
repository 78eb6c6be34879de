// What Asio keeps about a socket's descriptor (its state bits), read and set where Asio would
// otherwise spend a system call to learn what we already know.
//
// Why: at 1,000 connections, where the upstream pool keeps 64 idle and opens a connection
// for about every other request, the gateway made a quarter more system calls per request than
// nginx (perf stat, bench c1000), nearly all in setting connections up. Two of them are here:
// `non_blocking(true)` for the synchronous first write (write_now) issued FIONBIO even when an
// asynchronous read had already made the descriptor non-blocking, and a socket made by
// accept() is marked "possibly duplicated", so closing it took it out of epoll by hand
// (EPOLL_CTL_DEL) instead of letting close() do it. (The others: Asio's connect polled the
// socket once more after epoll said it was writable, see DeadlineStream::async_connect; the
// peer's address took a getpeername and TCP_NODELAY a setsockopt per accepted connection, see
// Worker::accept_loop and Worker::listen.)
//
// How: the socket's implementation is basic_socket::impl_, a protected member; a pointer to
// it formed through a derived class applies to any Socket. Its state bits are public members
// of Asio's implementation type. That ties this file to the Boost version checked below.
#pragma once

#include <boost/asio/detail/reactive_socket_service.hpp>
#include <boost/asio/detail/socket_ops.hpp>
#include <boost/asio/error.hpp>
#include <boost/version.hpp>

#include "server/executor.h"

static_assert(BOOST_VERSION == 108100,
              "server/socket_state.h follows Boost.Asio 1.81's socket implementation: "
              "re-check it against this Boost before changing the version");

namespace gw::server::socket_state {

namespace impl {
namespace ad = boost::asio::detail;
using Service = ad::reactive_socket_service<boost::asio::ip::tcp>;

// Never instantiated: it only names the protected member.
struct Access : Socket {
    static ad::io_object_impl<Service, Executor>& object(Socket& s) {
        return s.*(&Access::impl_);
    }
};
}  // namespace impl

using Implementation = impl::Service::implementation_type;

// The socket's implementation: descriptor, state bits and reactor registration.
inline Implementation& implementation(Socket& s) {
    return impl::Access::object(s).get_implementation();
}

// The error code Asio reports for a failed system call's errno.
inline boost::system::error_code error_of(int err) {
    return boost::system::error_code(err, boost::asio::error::get_system_category());
}

// Makes the descriptor non-blocking for asynchronous operations, as Asio's own start them (a
// FIONBIO once, none when it already is). False with ec set when that fails.
inline bool for_async_operations(Implementation& impl, boost::system::error_code& ec) {
    namespace so = boost::asio::detail::socket_ops;
    return (impl.state_ & so::non_blocking) ||
           so::set_internal_non_blocking(impl.socket_, impl.state_, true, ec);
}

// Lets the socket's synchronous calls return would_block instead of waiting (what
// non_blocking(true) asks for), without FIONBIO when an asynchronous operation has already
// made the descriptor non-blocking.
inline void make_non_blocking(Socket& s, boost::system::error_code& ec) {
    namespace so = boost::asio::detail::socket_ops;
    auto& state = implementation(s).state_;
    ec = {};
    if (state & so::internal_non_blocking)
        state |= so::user_set_non_blocking;
    else
        s.non_blocking(true, ec);
}

// The descriptor was made here (accept, socket) and has no duplicate: closing it is enough to
// take it out of epoll. Asio assumes a descriptor it was handed may be shared and removes it
// by hand at close. This holds while the process does not fork: a child would hold copies of
// the descriptors (Asio's accept does not set close-on-exec), and an epoll registration lasts
// until the last copy closes. The gateway never forks.
inline void owns_descriptor(Socket& s) {
    implementation(s).state_ &= ~boost::asio::detail::socket_ops::possible_dup;
}

// The descriptor was created non-blocking (SOCK_NONBLOCK): asynchronous operations need not
// set it again.
inline void created_non_blocking(Socket& s) {
    implementation(s).state_ |= boost::asio::detail::socket_ops::internal_non_blocking;
}

}  // namespace gw::server::socket_state
