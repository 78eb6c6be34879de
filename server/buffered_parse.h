// Parsing what a connection's buffer already holds, without I/O. When the bytes a Beast
// async_read_header / async_read_some needs are already buffered (a whole request head behind
// its first read, a small response body behind its head), Beast still completes through a
// posted handler: a scheduler round trip and a composed operation per head and per body piece
// on the most common path. The callers try this first and start a real read only when it says
// more bytes are needed.
#pragma once

#include <cstddef>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>

namespace gw::server {

// Feeds the parser the buffered bytes and consumes what it used. Returns false when it needs
// bytes the buffer does not hold (read, then call again or let a Beast read go on); true when
// it parsed something (ec clear) or failed (ec set; http::error::need_buffer is left for the
// caller, whose body buffer is full).
template <bool isRequest>
bool parse_buffered(boost::beast::flat_buffer& buffer,
                    boost::beast::http::basic_parser<isRequest>& parser,
                    boost::system::error_code& ec) {
    ec = {};
    if (buffer.size() == 0 || parser.is_done()) return false;
    std::size_t used = parser.put(buffer.data(), ec);
    buffer.consume(used);
    if (ec == boost::beast::http::error::need_more) {
        ec = {};
        return false;
    }
    return ec || used > 0;
}

}  // namespace gw::server
