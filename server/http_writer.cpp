#include "server/http_writer.h"

#include <charconv>

#include <boost/beast/core/string.hpp>

#include "config/text.h"
#include "config/types.h"
#include "server/forwarding.h"
#include "server/head_lines.h"
#include "server/response_reader.h"

namespace gw::server {
namespace {

std::string_view version_text(unsigned version) { return version == 10 ? "HTTP/1.0" : "HTTP/1.1"; }

// "HTTP/1.1 200 OK\r\n" (a status outside 100-999 is written modulo 1000, zero-padded)
struct StatusLine {
    StatusLine(unsigned version_number, unsigned status, std::string_view reason_text)
        : version(version_text(version_number)), reason(reason_text) {
        unsigned n = status % 1000;
        code[0] = ' ';
        code[1] = static_cast<char>('0' + n / 100);
        code[2] = static_cast<char>('0' + n / 10 % 10);
        code[3] = static_cast<char>('0' + n % 10);
        code[4] = ' ';
        if (reason.empty()) reason = http::obsolete_reason(static_cast<http::status>(status));
    }
    explicit StatusLine(const http::response_header<>& head)
        : StatusLine(head.version(), head.result_int(), head.reason()) {}
    template <class Sink>
    void put(Sink& sink) const {
        sink.put(version);
        sink.put({code, sizeof code});
        sink.put(reason);
        sink.put("\r\n");
    }
    std::string_view version;
    std::string_view reason;
    char code[5];
};

// HTTP/1.1 keeps a connection unless told; HTTP/1.0 closes it unless told.
template <class Sink>
void put_connection(Sink& sink, unsigned version, bool keep_alive) {
    if (version == 10 && keep_alive) sink.put("Connection: keep-alive\r\n");
    if (version != 10 && !keep_alive) sink.put("Connection: close\r\n");
}

template <class Sink>
void put_fields(Sink& sink, const http::fields& fields) {
    for (const auto& f : fields) sink.line(f.name_string(), f.value());
    sink.put("\r\n");
}

// The lines of HeadOverrides, then the blank line.
template <class Sink>
void put_overrides(Sink& sink, unsigned version, const HeadOverrides& o, const Decimal& length) {
    if (!o.request_id.empty()) sink.line("x-request-id", o.request_id);
    if (o.framing == Framing::length) sink.line("Content-Length", length.view());
    if (o.framing == Framing::chunked) sink.put("Transfer-Encoding: chunked\r\n");
    put_connection(sink, version, o.keep_alive);
    sink.put("\r\n");
}

bool is_request_id(const http::fields::value_type& f) {
    return f.name() == http::field::unknown && config::iequals(f.name_string(), "x-request-id");
}

}  // namespace

void append_response_head(std::string& out, const http::response_header<>& head) {
    StatusLine status(head);
    append_lines(out, [&](auto& sink) {
        status.put(sink);
        put_fields(sink, head);
    });
}

void append_response_head(std::string& out, const http::response_header<>& head,
                          const HeadOverrides& o) {
    StatusLine status(head);
    const bool own_framing = o.framing != Framing::none;
    const Decimal length(o.length);
    append_lines(out, [&](auto& sink) {
        status.put(sink);
        for (const auto& f : head) {
            auto name = f.name();
            if (name == http::field::connection) continue;
            if (own_framing &&
                (name == http::field::content_length || name == http::field::transfer_encoding))
                continue;
            if (!o.request_id.empty() && is_request_id(f)) continue;
            sink.line(f.name_string(), f.value());
        }
        put_overrides(sink, head.version(), o, length);
    });
}

void append_response_head(std::string& out, const ResponseReader& r, unsigned version,
                          const HeadOverrides& o) {
    using Name = ResponseReader::Name;
    StatusLine status(version, r.status(), r.reason());
    const bool own_framing = o.framing != Framing::none;
    const Decimal length(o.length);
    ConnectionNames named;
    for (const auto& f : r.fields())
        if (f.known == Name::connection) named.add_tokens(f.value);
    auto dropped = [&](const ResponseReader::Field& f) {
        switch (f.known) {
            case Name::connection:
            case Name::proxy_connection:
            case Name::keep_alive:
            case Name::transfer_encoding:
            case Name::te:
            case Name::trailer:
            case Name::upgrade:
            case Name::proxy_authenticate:
            case Name::proxy_authorization: return true;
            case Name::content_length:
                if (own_framing) return true;
                break;
            case Name::x_request_id:
                if (!o.request_id.empty()) return true;
                break;
            default: break;
        }
        return !named.empty() && named.named(f.name);
    };
    // A kept field goes out as the upstream wrote its line, and a run of kept lines (they lie
    // one after another in the reader's copy of the head) as one piece.
    append_lines(out, [&](auto& sink) {
        status.put(sink);
        const char* run = nullptr;
        const char* run_end = nullptr;
        for (const auto& f : r.fields()) {
            if (dropped(f)) {
                if (run) sink.put({run, static_cast<std::size_t>(run_end - run)});
                run = nullptr;
                continue;
            }
            if (!run) run = f.name.data();
            run_end = f.value.data() + f.value.size();
            while (*run_end != '\r') ++run_end;  // trailing white space
            run_end += 2;
        }
        if (run) sink.put({run, static_cast<std::size_t>(run_end - run)});
        put_overrides(sink, version, o, length);
    });
}

void append_fixed_response_head(std::string& out, unsigned version, unsigned status,
                                 std::string_view lines, std::string_view request_id,
                                 bool keep_alive) {
    StatusLine status_line(version, status, {});
    append_lines(out, [&](auto& sink) {
        status_line.put(sink);
        sink.put(lines);
        sink.line("x-request-id", request_id);
        put_connection(sink, version, keep_alive);
        sink.put("\r\n");
    });
}

HeadOverrides own_answer(std::string_view request_id, bool keep_alive, unsigned status,
                         std::size_t body_size) {
    HeadOverrides o;
    o.request_id = request_id;
    o.keep_alive = keep_alive;
    if (!config::bodiless_status(status)) {
        o.framing = Framing::length;
        o.length = body_size;
    }
    return o;
}

Piece::Piece(Framing framing, std::string_view head, const char* data, std::size_t size,
             bool last) {
    namespace asio = boost::asio;
    if (!head.empty()) buffers_[count_++] = asio::buffer(head.data(), head.size());
    if (size > 0) {
        if (framing == Framing::chunked) {
            auto end = std::to_chars(chunk_header_, chunk_header_ + sizeof chunk_header_ - 2,
                                     size, 16).ptr;
            *end++ = '\r';
            *end++ = '\n';
            buffers_[count_++] = asio::buffer(chunk_header_,
                                              static_cast<std::size_t>(end - chunk_header_));
            buffers_[count_++] = asio::buffer(data, size);
            buffers_[count_++] = asio::buffer("\r\n", 2);
        } else if (framing != Framing::none) {
            buffers_[count_++] = asio::buffer(data, size);
        }
    }
    if (last && framing == Framing::chunked) buffers_[count_++] = asio::buffer("0\r\n\r\n", 5);
}

}  // namespace gw::server
