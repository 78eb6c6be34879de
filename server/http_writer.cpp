#include "server/http_writer.h"

#include <cstdio>

#include <boost/beast/core/string.hpp>

namespace gw::server {
namespace {

void append_fields(std::string& out, const http::fields& fields) {
    for (const auto& f : fields) {
        out += f.name_string();
        out += ": ";
        out += f.value();
        out += "\r\n";
    }
    out += "\r\n";
}

void append_version(std::string& out, unsigned version) {
    out += version == 10 ? "HTTP/1.0" : "HTTP/1.1";
}

}  // namespace

void append_response_head(std::string& out, const http::response_header<>& head) {
    append_version(out, head.version());
    char status[8];
    std::snprintf(status, sizeof status, " %03u ", head.result_int() % 1000);
    out += status;
    auto reason = head.reason();
    if (reason.empty()) reason = http::obsolete_reason(head.result());
    out += reason;
    out += "\r\n";
    append_fields(out, head);
}

void append_request_head(std::string& out, const http::request_header<>& head) {
    out += head.method_string();
    out += ' ';
    out += head.target();
    out += ' ';
    append_version(out, head.version());
    out += "\r\n";
    append_fields(out, head);
}

Framing framing_of(const http::fields& fields, bool no_body) {
    if (no_body) return Framing::none;
    // One linear pass: cheaper than two case-insensitive tree lookups for a handful of fields.
    bool length = false;
    for (const auto& f : fields) {
        if (f.name() == http::field::transfer_encoding) return Framing::chunked;  // only "chunked"
        if (f.name() == http::field::content_length) length = true;
    }
    return length ? Framing::length : Framing::until_close;
}

Piece::Piece(Framing framing, std::string_view head, const char* data, std::size_t size,
             bool last) {
    namespace asio = boost::asio;
    if (!head.empty()) buffers_[count_++] = asio::buffer(head.data(), head.size());
    if (size > 0) {
        if (framing == Framing::chunked) {
            int n = std::snprintf(chunk_header_, sizeof chunk_header_, "%zx\r\n", size);
            buffers_[count_++] = asio::buffer(chunk_header_, static_cast<std::size_t>(n));
            buffers_[count_++] = asio::buffer(data, size);
            buffers_[count_++] = asio::buffer("\r\n", 2);
        } else if (framing != Framing::none) {
            buffers_[count_++] = asio::buffer(data, size);
        }
    }
    if (last && framing == Framing::chunked) buffers_[count_++] = asio::buffer("0\r\n\r\n", 5);
}

}  // namespace gw::server
