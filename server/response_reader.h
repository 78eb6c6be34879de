// An upstream's HTTP/1 response, read without Beast's parser. Beast's response parser turns
// every field into a node it allocates and links into a case-insensitive tree; the profile
// showed it at a quarter of a proxied request's instructions (~5,400 of 20,500), for fields
// the proxy mostly writes on unchanged. This reader keeps the head as one copied string with
// a view per field, knows by name only the fields the proxy acts on, and decodes the body
// (Content-Length, chunked, or up to the close) into the caller's buffer.
//
// It is at least as strict as Beast's parser (tests/fuzz/response_reader_fuzz.cpp holds every
// head and body it accepts to Beast's reading of the same bytes), and stricter in two places
// a proxy may be: obsolete line folding and a Transfer-Encoding that is not a token list are
// errors (RFC 9112 5.2 lets a proxy answer 502 to a folded response). Errors are Beast's
// http::error codes, so logs read the same.
//
// One reader per upstream connection (UpstreamConnection::response); start() before each
// message keeps the capacity of its buffers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/error_code.hpp>

namespace gw::server {

class ResponseReader {
public:
    // The fields the proxy acts on; every other name is `other`.
    enum class Name : std::uint8_t {
        other,
        connection,
        proxy_connection,
        keep_alive,
        content_length,
        transfer_encoding,
        te,
        trailer,
        upgrade,
        proxy_authenticate,
        proxy_authorization,
        retry_after,
        x_request_id,
    };
    struct Field {
        std::string_view name;
        std::string_view value;  // without surrounding white space
        Name known;
    };
    static Name name_of(std::string_view name);

    // Begins a message. The answer to a HEAD has no body whatever its head says; a head longer
    // than header_limit bytes is http::error::header_limit.
    void start(bool head_request, std::size_t header_limit);

    // Reads the head at the front of data[0, n). Returns the bytes it took: 0 while the head
    // is incomplete (ec clear: read more and call again with all of it) or on an error (ec
    // set). The head's text is copied, so data may change after.
    std::size_t put_head(const char* data, std::size_t n, boost::system::error_code& ec);
    // Decodes body bytes of data[0, n) into out[0, room): returns the bytes of data it took and
    // sets produced. Stops when out is full, at the end of the message, or at bytes it needs
    // more of to make sense of (a chunk header cut short). ec: a framing error.
    std::size_t put_body(const char* data, std::size_t n, char* out, std::size_t room,
                         std::size_t& produced, boost::system::error_code& ec);
    // A body framed by Content-Length or by the close needs no decoding: whether the next
    // body bytes are taken as they are (take_body) instead of through put_body.
    bool body_in_place() const {
        return state_ == State::body_length || state_ == State::body_to_eof;
    }
    // A body that runs to the close (no length, not chunked).
    bool body_to_close() const { return state_ == State::body_to_eof; }
    // With body_in_place: of the n body bytes at hand, how many belong to the body (all but
    // what lies past its length), counted as read.
    std::size_t take_body(std::size_t n) {
        if (state_ == State::body_to_eof) return n;
        std::size_t k = static_cast<std::size_t>(std::min<std::uint64_t>(n, remaining_));
        remaining_ -= k;
        if (remaining_ == 0) state_ = State::done;
        return k;
    }
    // The upstream closed the connection: ends a body that runs to the close, otherwise
    // http::error::partial_message.
    void put_eof(boost::system::error_code& ec);

    bool header_done() const { return state_ > State::head; }
    bool is_done() const { return state_ == State::done; }
    unsigned status() const { return status_; }
    unsigned version() const { return version_; }  // 10 or 11
    std::string_view reason() const { return reason_; }
    const std::vector<Field>& fields() const { return fields_; }
    // The first value of a known field; empty when it is absent.
    std::string_view value(Name n) const;
    // Whether the connection may carry another exchange after this message.
    bool keep_alive() const;
    bool chunked() const { return chunked_; }
    std::optional<std::uint64_t> content_length() const { return length_; }

private:
    enum class State : std::uint8_t {
        head,
        body_length,   // remaining_ bytes to go
        body_to_eof,   // until the upstream closes
        chunk_header,  // a chunk-size line (after the CRLF of the chunk before, if any)
        chunk_data,    // remaining_ bytes of a chunk
        trailers,      // after the last chunk: trailer fields up to the empty line
        done,
    };
    void parse_head(const char* p, const char* end, boost::system::error_code& ec);
    void on_field(const Field& f, boost::system::error_code& ec);
    void finish_head();
    std::size_t put_chunk_header(const char* data, std::size_t n, boost::system::error_code& ec);
    std::size_t put_trailers(const char* data, std::size_t n, boost::system::error_code& ec);
    std::size_t block_end(const char* data, std::size_t n, boost::system::error_code& ec);

    std::string head_;  // the head's bytes; fields_ and reason_ view into it
    std::vector<Field> fields_;
    std::string_view reason_;
    std::size_t header_limit_ = 0;
    std::size_t scanned_ = 0;  // bytes already searched for the end of the head or a line
    std::uint64_t remaining_ = 0;
    std::optional<std::uint64_t> length_;
    unsigned status_ = 0;
    unsigned version_ = 11;
    State state_ = State::head;
    bool head_request_ = false;
    bool chunked_ = false;
    bool close_ = false;       // Connection: close
    bool keep_alive_ = false;  // Connection: keep-alive
    bool need_eof_ = false;    // the body runs to the close
    bool crlf_due_ = false;    // the CRLF after a chunk's data comes before the next header
};

}  // namespace gw::server
