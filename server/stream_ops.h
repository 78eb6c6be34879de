// Small helpers that differ between plain and TLS streams.
#pragma once

#include <algorithm>
#include <array>

#include <boost/asio/buffer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "server/deadline_stream.h"
#include "server/executor.h"

namespace gw::server {

namespace beast = boost::beast;
namespace asio = boost::asio;

template <class Stream>
Socket& socket_of(Stream& s) {
    return beast::get_lowest_layer(s).socket();
}

// Gather writes go out as one write_some, which takes a small message whole, then this for
// what it left (a full socket buffer, a large piece). asio::async_write's composed operation
// costs several hundred instructions per call even when one write_some was all it needed:
//
//     auto [ec, n] = co_await s.async_write_some(buffers, kTuple);
//     if (!ec && n < asio::buffer_size(buffers)) ec = co_await write_rest(s, buffers, n);
template <class Stream, std::size_t N>
Task<boost::system::error_code> write_rest(Stream& s, std::array<asio::const_buffer, N> buffers,
                                           std::size_t written) {
    for (auto& b : buffers) {
        std::size_t k = std::min(written, b.size());
        b += k;
        written -= k;
    }
    auto [ec, n] = co_await asio::async_write(s, buffers, kTuple);
    co_return ec;
}

// Ends a connection. With linger, unread request bytes are drained for a short, bounded
// while after our answer: closing with unread input makes the kernel send a reset, which can
// destroy the answer (a 413 or 400) before the client reads it.
inline Task<void> graceful_close(DeadlineStream& s, bool linger) {
    boost::system::error_code ec;
    s.socket().shutdown(Socket::shutdown_send, ec);
    if (!linger || ec) co_return;
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
