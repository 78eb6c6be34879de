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

TEST_CASE("request heads carry method, target and fields", "[http_writer]") {
    http::request_header<> h;
    h.method(http::verb::post);
    h.target("/v2/orders?x=1");
    h.version(11);
    h.set(http::field::host, "crm:8080");
    std::string out;
    append_request_head(out, h);
    CHECK(out == "POST /v2/orders?x=1 HTTP/1.1\r\nHost: crm:8080\r\n\r\n");
}

TEST_CASE("framing follows the head's fields", "[http_writer]") {
    http::fields f;
    CHECK(framing_of(f, false) == Framing::until_close);
    CHECK(framing_of(f, true) == Framing::none);
    f.set(http::field::content_length, "3");
    CHECK(framing_of(f, false) == Framing::length);
    f.erase(http::field::content_length);
    f.set(http::field::transfer_encoding, "chunked");
    CHECK(framing_of(f, false) == Framing::chunked);
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
