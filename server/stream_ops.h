// Small helpers that differ between plain and TLS streams.
#pragma once

#include <algorithm>
#include <array>
#include <cerrno>

#include <sys/socket.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "config/types.h"
#include "server/deadline_stream.h"
#include "server/socket_state.h"
#include "server/executor.h"

namespace gw::server {

namespace beast = boost::beast;
namespace asio = boost::asio;

template <class Stream>
Socket& socket_of(Stream& s) {
    return beast::get_lowest_layer(s).socket();
}

// Writes go out at once where they can: a plain socket with room in its send buffer (the
// usual case) takes a small message whole in one non-blocking send, and the coroutine goes on
// without waiting for a completion. An asynchronous write, even one the socket takes at once,
// completes through the scheduler's queue: behind every other ready connection, which at a
// thousand connections is most of the p99, and several hundred instructions besides. Only
// what is left (a full socket buffer, a large piece, any TLS write) takes the asynchronous
// path, under the timeout:
//
//     boost::system::error_code ec;
//     std::size_t n = write_now(s, buffers, ec);
//     if (!ec && n < asio::buffer_size(buffers)) ec = co_await write_rest(s, buffers, n, t);
//
// The send itself is the cheapest call that fits: one piece, or small pieces copied together
// on the stack, go out with send(); only a larger gather takes sendmsg, whose message header
// and iovec the kernel copies in on every call (about 1.5% of a `respond` request's CPU, and
// Asio passes empty pieces along too).
inline constexpr std::size_t kGatherBytes = 2048;

template <class Buffers>
std::size_t write_now(DeadlineStream& s, const Buffers& buffers, boost::system::error_code& ec) {
    auto& socket = s.socket();
    ec = {};
    if (!socket.non_blocking()) socket_state::make_non_blocking(socket, ec);  // once
    if (ec) return 0;
    asio::const_buffer only;
    std::size_t pieces = 0;
    std::size_t total = 0;
    for (auto it = asio::buffer_sequence_begin(buffers); it != asio::buffer_sequence_end(buffers);
         ++it) {
        const asio::const_buffer b(*it);
        if (b.size() == 0) continue;
        only = b;
        ++pieces;
        total += b.size();
    }
    if (pieces == 0) return 0;
    if (pieces > 1 && total > kGatherBytes) {
        std::size_t n = socket.write_some(buffers, ec);
        if (ec == asio::error::would_block || ec == asio::error::try_again) ec = {};
        return n;
    }
    char gathered[kGatherBytes];
    const void* data = only.data();
    if (pieces > 1) {
        char* at = gathered;
        for (auto it = asio::buffer_sequence_begin(buffers);
             it != asio::buffer_sequence_end(buffers); ++it) {
            const asio::const_buffer b(*it);
            at = std::copy_n(static_cast<const char*>(b.data()), b.size(), at);
        }
        data = gathered;
    }
    ssize_t n;
    do {
        n = ::send(socket.native_handle(), data, total, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EAGAIN && errno != EWOULDBLOCK)
        ec = socket_state::error_of(errno);
    return 0;
}

// A TLS write goes through the stream's engine: always the asynchronous path.
template <class Buffers>
std::size_t write_now(beast::ssl_stream<DeadlineStream>&, const Buffers&,
                      boost::system::error_code& ec) {
    ec = {};
    return 0;
}

template <class Stream, std::size_t N>
Task<boost::system::error_code> write_rest(Stream& s, std::array<asio::const_buffer, N> buffers,
                                           std::size_t written, config::Duration timeout) {
    for (auto& b : buffers) {
        std::size_t k = std::min(written, b.size());
        b += k;
        written -= k;
    }
    beast::get_lowest_layer(s).expires_after(timeout);
    auto [ec, n] = co_await asio::async_write(s, buffers, kTuple);
    co_return ec;
}

// Ends a connection. With linger, unread request bytes are drained for a short, bounded
// while after our answer: closing with unread input makes the kernel send a reset, which can
// destroy the answer (a 413 or 400) before the client reads it. Without, the stream's close
// sends the FIN (a shutdown first would only add a system call).
inline Task<void> graceful_close(DeadlineStream& s, bool linger) {
    if (!linger) co_return;
    boost::system::error_code ec;
    s.socket().shutdown(Socket::shutdown_send, ec);
    if (ec) co_return;
    s.expires_after(std::chrono::seconds(1));
    char sink[4096];
    for (std::size_t total = 0; total < 256 * 1024;) {
        auto [rec, n] = co_await s.async_read_some(asio::buffer(sink), kTuple);
        if (rec) break;
        total += n;
    }
}

inline Task<void> graceful_close(beast::ssl_stream<DeadlineStream>& s, bool) {
    // close_notify with a short bound; a peer that never answers does not hold the session.
    beast::get_lowest_layer(s).expires_after(std::chrono::seconds(2));
    co_await s.async_shutdown(kTuple);
}

}  // namespace gw::server
