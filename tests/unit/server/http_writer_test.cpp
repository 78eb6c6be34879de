#include <catch.hpp>

#include <boost/asio/buffer.hpp>

#include "server/http_writer.h"

using namespace gw::server;

namespace {
std::string flatten(const Piece& p) {
    std::string out;
    for (const auto& b : p.buffers())
        out.append(static_cast<const char*>(b.data()), b.size());
    return out;
}
}  // namespace

TEST_CASE("response heads are one flat string", "[http_writer]") {
    http::response_header<> h;
    h.result(http::status::not_found);
    h.version(11);
    h.set(http::field::content_type, "application/json");
    h.set("x-request-id", "r1");
    std::string out;
    append_response_head(out, h);
    CHECK(out == "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
                 "x-request-id: r1\r\n\r\n");
    h.reason("Gone Fishing");
    h.version(10);
    out.clear();
    append_response_head(out, h);
    CHECK(out.rfind("HTTP/1.0 404 Gone Fishing\r\n", 0) == 0);
}

TEST_CASE("the gateway's framing, Connection and request id replace the message's own",
          "[http_writer]") {
    http::response_header<> h;
    h.result(http::status::ok);
    h.version(11);
    h.set(http::field::content_type, "application/json");
    h.set(http::field::content_length, "999");
    h.set(http::field::connection, "keep-alive");
    h.set("X-Request-Id", "upstream-id");
    std::string out;
    append_response_head(out, h, own_answer("r1", false, 200, 12));
    CHECK(out == "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                 "x-request-id: r1\r\nContent-Length: 12\r\nConnection: close\r\n\r\n");
    // HTTP/1.0 keeps the connection only when told; a 304 keeps its own Content-Length.
    h.version(10);
    h.result(http::status::not_modified);
    out.clear();
    append_response_head(out, h, own_answer("r1", true, 304, 12));
    CHECK(out == "HTTP/1.0 304 Not Modified\r\nContent-Type: application/json\r\n"
                 "Content-Length: 999\r\nx-request-id: r1\r\nConnection: keep-alive\r\n\r\n");
}

TEST_CASE("a chunked answer is announced, an answer framed by the close is not",
          "[http_writer]") {
    http::response_header<> h;
    h.result(http::status::ok);
    h.version(11);
    h.set(http::field::transfer_encoding, "gzip, chunked");
    HeadOverrides o;
    o.framing = Framing::chunked;
    std::string out;
    append_response_head(out, h, o);
    CHECK(out == "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    o.framing = Framing::until_close;
    o.keep_alive = false;
    out.clear();
    append_response_head(out, h, o);
    CHECK(out == "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
}

TEST_CASE("pieces frame chunks and end the stream", "[http_writer]") {
    const char data[] = "hello";
    CHECK(flatten(Piece(Framing::chunked, "H\r\n\r\n", data, 5, false)) == "H\r\n\r\n5\r\nhello\r\n");
    CHECK(flatten(Piece(Framing::chunked, {}, data, 5, true)) == "5\r\nhello\r\n0\r\n\r\n");
    CHECK(flatten(Piece(Framing::chunked, {}, nullptr, 0, true)) == "0\r\n\r\n");
    CHECK(flatten(Piece(Framing::chunked, {}, nullptr, 0, false)).empty());
    CHECK(flatten(Piece(Framing::length, "H", data, 5, true)) == "Hhello");
    CHECK(flatten(Piece(Framing::none, "H", data, 5, true)) == "H");
    std::string big(0x1234, 'x');
    CHECK(flatten(Piece(Framing::chunked, {}, big.data(), big.size(), false)).rfind("1234\r\n", 0) == 0);
}
