// Writes HTTP/1.1 messages as flat bytes. Beast's serializer presents a head as one buffer per
// field and walks that list again on every step; the profile showed it as the largest single
// cost per request. Here a head is one contiguous string, and a body piece goes out with its
// chunk framing (and the head, the first time) in one gather write.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/message.hpp>

namespace gw::server {

namespace http = boost::beast::http;

class ResponseReader;

// How a body is framed on the wire.
enum class Framing { none, length, chunked, until_close };

// What the gateway decides about a response head as it is written, instead of setting fields
// (each a node allocated and a case-insensitive tree walked): the framing (length: Content-
// Length; chunked; none: the message's own Content-Length stays, as a HEAD answer's does),
// Connection, and X-Request-Id. The message's own fields of those names are left out.
struct HeadOverrides {
    Framing framing = Framing::none;
    std::uint64_t length = 0;
    bool keep_alive = true;
    std::string_view request_id;  // empty: the message's own X-Request-Id goes as it is
};

// "HTTP/1.1 200 OK\r\n" + fields + "\r\n"
void append_response_head(std::string& out, const http::response_header<>& head);
// The same with the gateway's framing, Connection and request id.
void append_response_head(std::string& out, const http::response_header<>& head,
                          const HeadOverrides& overrides);
// An upstream's head as ResponseReader read it, in the client's version, less Connection and
// the headers it names and the other hop-by-hop headers (strip_hop_by_hop's rule), with the
// overrides: the head of a response that nothing on its route edits, without Beast's fields.
// The lines kept go out as the upstream wrote them.
void append_response_head(std::string& out, const ResponseReader& head, unsigned version,
                          const HeadOverrides& overrides);
// A fixed answer's head: status line, header lines rendered beforehand ("name: value\r\n"...,
// config::Respond::lines), then the request id, Connection as keep_alive and version need, and
// the blank line.
void append_fixed_response_head(std::string& out, unsigned version, unsigned status,
                                 std::string_view lines, std::string_view request_id,
                                 bool keep_alive);
// The framing, Connection and request id of an answer the gateway makes itself: a
// Content-Length unless the status carries no body.
HeadOverrides own_answer(std::string_view request_id, bool keep_alive, unsigned status,
                         std::size_t body_size);

// The buffers of one write: optional head, then a body piece in its framing, then the chunked
// terminator when the body ends.
class Piece {
public:
    Piece(Framing framing, std::string_view head, const char* data, std::size_t size, bool last);
    // Unused entries are empty buffers, which a gather write skips.
    const std::array<boost::asio::const_buffer, 5>& buffers() const { return buffers_; }

private:
    std::array<boost::asio::const_buffer, 5> buffers_{};
    std::size_t count_ = 0;
    char chunk_header_[20];
};

}  // namespace gw::server

#include <boost/asio/awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/string_body.hpp>

#include "server/executor.h"

namespace gw::server {

// Writes a complete response the gateway made itself (errors, respond: routes): head and
// body in one gather write.
template <class Stream>
Task<boost::system::error_code> write_response(Stream& stream,
                                               const http::response<http::string_body>& res) {
    std::string head;
    head.reserve(256);
    append_response_head(head, res);
    std::array<boost::asio::const_buffer, 2> buffers{boost::asio::buffer(head),
                                                     boost::asio::buffer(res.body())};
    auto [ec, n] = co_await boost::asio::async_write(stream, buffers, kTuple);
    co_return ec;
}

}  // namespace gw::server
