#include <catch.hpp>

#include <string>
#include <string_view>

#include <boost/beast/http.hpp>

#include "server/forwarding.h"
#include "server/http_writer.h"
#include "server/response_reader.h"
#include "tests/unit/server/response_reader_check.h"

using namespace gw::server;
using gw::test::read_with_beast;
using gw::test::read_with_reader;
using gw::test::same_reading;
namespace bhttp = boost::beast::http;

namespace {

// Every arrival size from 1 to 9 bytes and a whole read, each with body buffers of 1, 2, 7
// and 4096 bytes: the reading must not depend on how the bytes come.
void check_all_splits(std::string_view in, bool head_request = false) {
    auto beast = read_with_beast(in, head_request);
    REQUIRE(beast.ok);
    ResponseReader whole_reader;
    auto whole = read_with_reader(whole_reader, in, head_request, {}, 65536);
    for (std::size_t piece : {1, 2, 3, 4, 5, 6, 7, 8, 9, 100000}) {
        for (std::size_t room : {1, 2, 7, 4096}) {
            ResponseReader r;
            auto mine = read_with_reader(r, in, head_request, {piece}, room);
            INFO("piece " << piece << " room " << room << " ec " << mine.ec.message());
            REQUIRE(mine.ok);
            CHECK(same_reading(mine, beast));
            CHECK(mine == whole);
        }
    }
}

boost::system::error_code error_of(std::string_view in, bool head_request = false) {
    ResponseReader r;
    auto whole = read_with_reader(r, in, head_request, {}, 4096);
    auto bytewise = read_with_reader(r, in, head_request, {1}, 3);
    CHECK(whole.ec == bytewise.ec);
    CHECK(!whole.ok);
    return whole.ec;
}

}  // namespace

TEST_CASE("response reader: a Content-Length body, then the next message stays", "[response_reader]") {
    std::string in = "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: application/json\r\n"
                     "Content-Length: 11\r\nX-Empty:\r\nX-Pad: \t a b \t\r\n\r\nhello world"
                     "HTTP/1.1 204 No Content\r\n\r\n";
    ResponseReader r;
    auto m = read_with_reader(r, in, false, {}, 4096);
    REQUIRE(m.ok);
    CHECK(m.status == 200);
    CHECK(m.version == 11);
    CHECK(m.reason == "OK");
    CHECK(m.body == "hello world");
    CHECK(m.keep_alive);
    CHECK(m.used == in.find("HTTP/1.1 204"));
    REQUIRE(m.fields.size() == 5);
    CHECK(m.fields[3] == std::pair<std::string, std::string>("X-Empty", ""));
    CHECK(m.fields[4] == std::pair<std::string, std::string>("X-Pad", "a b"));
    CHECK(r.content_length() == 11u);
    CHECK(!r.chunked());
    check_all_splits(in);
    // Tabs, obs-text and a DEL-free value longer than a word, at every alignment.
    for (std::size_t pad = 0; pad < 8; ++pad)
        check_all_splits("HTTP/1.1 200 OK\r\nX" + std::string(pad, 'p') +
                         ": a\tb\t\tc \xff\xfe\x80 tail of it\t\r\nContent-Length: 0\r\n\r\n");
}

// The proxy relays a body framed by length or by the close from its read buffer as it is.
TEST_CASE("response reader: bodies taken in place", "[response_reader]") {
    boost::system::error_code ec;
    ResponseReader r;
    r.start(false, 65536);
    std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n";
    REQUIRE(r.put_head(head.data(), head.size(), ec) == head.size());
    REQUIRE(!ec);
    REQUIRE(r.body_in_place());
    CHECK(r.take_body(5) == 5);  // "hello"
    CHECK(!r.is_done());
    CHECK(r.take_body(20) == 6);  // " world" and 14 bytes of whatever follows
    CHECK(r.is_done());
    CHECK(!r.body_in_place());

    r.start(false, 65536);
    head = "HTTP/1.1 200 OK\r\nServer: x\r\n\r\n";  // until the close
    REQUIRE(r.put_head(head.data(), head.size(), ec) == head.size());
    REQUIRE(r.body_in_place());
    CHECK(r.take_body(100000) == 100000);
    CHECK(!r.is_done());
    r.put_eof(ec);
    CHECK(!ec);
    CHECK(r.is_done());

    r.start(false, 65536);
    head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";  // decoded: put_body
    REQUIRE(r.put_head(head.data(), head.size(), ec) == head.size());
    CHECK(!r.body_in_place());

    r.start(true, 65536);  // a HEAD answer has no body, whatever its Content-Length says
    head = "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n";
    REQUIRE(r.put_head(head.data(), head.size(), ec) == head.size());
    CHECK(r.is_done());
    CHECK(!r.body_in_place());
}

// Found by the fuzz target: Beast keeps fields of one name together, the reader (and the relay
// written from it) keeps them as they came; both keep the order within a name.
TEST_CASE("response reader: repeated fields stay in arrival order", "[response_reader]") {
    std::string in = "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nX-Other: 5\r\nset-cookie: b=2\r\n"
                     "Content-Length: 2\r\n\r\nhi";
    ResponseReader r;
    auto m = read_with_reader(r, in, false, {}, 4096);
    REQUIRE(m.ok);
    REQUIRE(m.fields.size() == 4);
    CHECK(m.fields[0].second == "a=1");
    CHECK(m.fields[1].first == "X-Other");
    CHECK(m.fields[2].second == "b=2");
    auto beast = read_with_beast(in, false);
    REQUIRE(beast.fields.size() == 4);
    CHECK(beast.fields[1].second == "b=2");  // Beast's order differs ...
    CHECK(same_reading(m, beast));           // ... and the check allows only that
    auto dropped = m;
    dropped.fields.erase(dropped.fields.begin() + 1);
    CHECK_FALSE(same_reading(dropped, beast));
    auto swapped = m;
    std::swap(swapped.fields[0], swapped.fields[2]);
    CHECK_FALSE(same_reading(swapped, beast));
    check_all_splits(in);
}

TEST_CASE("response reader: chunked bodies with extensions and trailers", "[response_reader]") {
    std::string in = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "5\r\nhello\r\n"
                     "1;ext=1 ; q=\"a \\\" b\"\r\n \r\n"
                     "00B\t;x\r\nworld again\r\n"
                     "0\r\nX-Trailer: t\r\nX-Other: u\r\n\r\n";
    ResponseReader r;
    auto m = read_with_reader(r, in, false, {1}, 3);
    REQUIRE(m.ok);
    CHECK(m.body == "hello world again");
    CHECK(m.used == in.size());
    CHECK(r.chunked());
    CHECK(m.keep_alive);
    check_all_splits(in);
    check_all_splits("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n");
    check_all_splits("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "3\r\nabc\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n");

    // A Connection: close among the trailers still ends the connection's reuse, as in Beast.
    std::string closing = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                          "3\r\nabc\r\n0\r\nConnection: close\r\n\r\n";
    auto closed = read_with_reader(r, closing, false, {}, 16);
    REQUIRE(closed.ok);
    CHECK(!closed.keep_alive);
    check_all_splits(closing);
}

TEST_CASE("response reader: bodies up to the close and connection reuse", "[response_reader]") {
    ResponseReader r;
    auto eof = read_with_reader(r, "HTTP/1.1 200 OK\r\nServer: x\r\n\r\nall of it", false, {4}, 2);
    REQUIRE(eof.ok);
    CHECK(eof.body == "all of it");
    CHECK(!eof.keep_alive);
    check_all_splits("HTTP/1.1 200 OK\r\nServer: x\r\n\r\nall of it");
    check_all_splits("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzipped");

    auto closes = read_with_reader(r, "HTTP/1.1 200 OK\r\nConnection: Close\r\n"
                                      "Content-Length: 0\r\n\r\n", false, {}, 16);
    REQUIRE(closes.ok);
    CHECK(!closes.keep_alive);
    auto old = read_with_reader(r, "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", false, {}, 16);
    REQUIRE(old.ok);
    CHECK(!old.keep_alive);
    auto kept = read_with_reader(r, "HTTP/1.0 200 OK\r\nConnection: keep-alive, x-a\r\n"
                                    "Content-Length: 0\r\n\r\n", false, {}, 16);
    REQUIRE(kept.ok);
    CHECK(kept.keep_alive);
    check_all_splits("HTTP/1.0 200 OK\r\nConnection: keep-alive, x-a\r\nContent-Length: 0\r\n\r\n");
    check_all_splits("HTTP/1.1 200 OK\r\nProxy-Connection: close\r\nContent-Length: 1\r\n\r\nx");
}

TEST_CASE("response reader: answers without a body", "[response_reader]") {
    for (auto in : {"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n",
                    "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n",
                    "HTTP/1.1 100 Continue\r\n\r\n", "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n",
                    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"}) {
        bool head = std::string_view(in).find("200") != std::string_view::npos;
        ResponseReader r;
        auto m = read_with_reader(r, in, head, {}, 16);
        REQUIRE(m.ok);
        CHECK(m.body.empty());
        CHECK(m.used == std::string_view(in).size());
        check_all_splits(in, head);
    }
    ResponseReader r;
    auto head = read_with_reader(r, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", true, {}, 16);
    REQUIRE(head.ok);
    CHECK(r.content_length() == 5u);  // what a GET would get: the relayed head keeps it
    check_all_splits("HTTP/1.1 200 \r\nContent-Length: 1, 1\r\nContent-Length: 1\r\n\r\nx");
}

TEST_CASE("response reader: the fields the proxy acts on are known by name", "[response_reader]") {
    using Name = ResponseReader::Name;
    CHECK(ResponseReader::name_of("Connection") == Name::connection);
    CHECK(ResponseReader::name_of("PROXY-CONNECTION") == Name::proxy_connection);
    CHECK(ResponseReader::name_of("keep-alive") == Name::keep_alive);
    CHECK(ResponseReader::name_of("Content-Length") == Name::content_length);
    CHECK(ResponseReader::name_of("transfer-encoding") == Name::transfer_encoding);
    CHECK(ResponseReader::name_of("TE") == Name::te);
    CHECK(ResponseReader::name_of("Trailer") == Name::trailer);
    CHECK(ResponseReader::name_of("Upgrade") == Name::upgrade);
    CHECK(ResponseReader::name_of("Proxy-Authenticate") == Name::proxy_authenticate);
    CHECK(ResponseReader::name_of("Proxy-Authorization") == Name::proxy_authorization);
    CHECK(ResponseReader::name_of("Retry-After") == Name::retry_after);
    CHECK(ResponseReader::name_of("X-Request-ID") == Name::x_request_id);
    CHECK(ResponseReader::name_of("Content-Type") == Name::other);
    CHECK(ResponseReader::name_of("Connectio_") == Name::other);
    CHECK(ResponseReader::name_of("") == Name::other);

    ResponseReader r;
    auto m = read_with_reader(r, "HTTP/1.1 503 Busy\r\nRetry-After: 7\r\nRetry-After: 9\r\n"
                                 "Content-Length: 0\r\n\r\n", false, {}, 16);
    REQUIRE(m.ok);
    CHECK(r.value(Name::retry_after) == "7");
    CHECK(r.value(Name::upgrade).empty());
}

TEST_CASE("response reader: malformed responses are errors", "[response_reader]") {
    using E = bhttp::error;
    // Folded lines: Beast unfolds them, a proxy may refuse them (RFC 9112 5.2).
    std::string folded = "HTTP/1.1 200 OK\r\nX-A: one\r\n two\r\nContent-Length: 0\r\n\r\n";
    CHECK(read_with_beast(folded, false).ok);
    CHECK(error_of(folded) == E::bad_value);
    CHECK(error_of("HTTP/1.1 200 OK\r\n X-A: 1\r\n\r\n") == E::bad_value);
    CHECK(error_of("HTTP/2.0 200 OK\r\n\r\n") == E::bad_version);
    CHECK(error_of("HTTP/1.1  200 OK\r\n\r\n") == E::bad_status);
    CHECK(error_of("HTTP/1.1 20x OK\r\n\r\n") == E::bad_status);
    CHECK(error_of("HTTP/1.1 200\r\n\r\n") == E::bad_status);
    CHECK(error_of("http/1.1 200 OK\r\n\r\n") == E::bad_version);
    CHECK(error_of("HTTP/1.1 200 O\x01K\r\n\r\n") == E::bad_reason);
    CHECK(error_of("HTTP/1.1 200 OK\r\nX-A : 1\r\n\r\n") == E::bad_field);
    CHECK(error_of("HTTP/1.1 200 OK\r\n: 1\r\n\r\n") == E::bad_field);
    CHECK(error_of("HTTP/1.1 200 OK\r\nX-A\r\n\r\n") == E::bad_field);
    CHECK(error_of("HTTP/1.1 200 OK\r\nX-A: a\nb\r\n\r\n") == E::bad_value);
    CHECK(error_of("HTTP/1.1 200 OK\r\nX-A: a\x7f\r\n\r\n") == E::bad_value);
    // The word-wise scan: a control or DEL after tabs, anywhere in a long value.
    for (std::size_t at = 0; at < 20; ++at) {
        std::string value = "a\tbcdefgh\tijklmnopqrstu";
        std::string bad = value;
        bad[at] = '\x01';
        std::string del = value;
        del[at] = '\x7f';
        INFO("at " << at);
        CHECK(error_of("HTTP/1.1 200 OK\r\nX-A: " + bad + "\r\n\r\n") == E::bad_value);
        CHECK(error_of("HTTP/1.1 200 OK\r\nX-A: " + del + "\r\n\r\n") == E::bad_value);
    }
    CHECK(error_of("HTTP/1.1 200 OK\r\nX-A: a\rb\r\n\r\n") == E::bad_line_ending);
    CHECK(error_of("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx") ==
          E::multiple_content_length);
    CHECK(error_of("HTTP/1.1 200 OK\r\nContent-Length: 1,2\r\n\r\nx") ==
          E::multiple_content_length);
    CHECK(error_of("HTTP/1.1 200 OK\r\nContent-Length: +1\r\n\r\nx") == E::bad_content_length);
    CHECK(error_of("HTTP/1.1 200 OK\r\nContent-Length: 1,,1\r\n\r\nx") == E::bad_content_length);
    CHECK(error_of("HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n") == E::bad_content_length);
    CHECK(error_of("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n") ==
          E::bad_content_length);
    CHECK(error_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n") ==
          E::bad_content_length);
    CHECK(error_of("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n") ==
          E::bad_transfer_encoding);
    CHECK(error_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                   "Transfer-Encoding: chunked\r\n\r\n") == E::bad_transfer_encoding);
    CHECK(error_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n") ==
          E::bad_transfer_encoding);
    CHECK(error_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked;q=1\r\n\r\n") ==
          E::bad_transfer_encoding);
    CHECK(error_of("HTTP/1.1 200 OK\r\nConnection: close;x\r\n\r\n") == E::bad_value);

    const std::string chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    CHECK(error_of(chunked + "x\r\n") == E::bad_chunk);
    CHECK(error_of(chunked + "3\r\nabcX\r\n0\r\n\r\n") == E::bad_chunk);
    CHECK(error_of(chunked + "10000000000000000\r\n") == E::bad_chunk);
    CHECK(error_of(chunked + "3 x\r\nabc\r\n") == E::bad_chunk_extension);
    CHECK(error_of(chunked + "3;\r\nabc\r\n") == E::bad_chunk_extension);
    // White space at the end of a chunk line (found by the fuzz target; Beast refuses it too).
    CHECK(error_of(chunked + "3 \r\nabc\r\n0\r\n\r\n") == E::bad_chunk_extension);
    CHECK(error_of(chunked + "0;a \r\n\r\n") == E::bad_chunk_extension);
    CHECK(error_of(chunked + "0;a=b\t\r\n\r\n") == E::bad_chunk_extension);
    CHECK(error_of(chunked + "3;a=\"b\r\nabc\r\n") == E::bad_chunk_extension);
    CHECK(error_of(chunked + "3\rx\nabc\r\n") == E::bad_line_ending);
    CHECK(error_of(chunked + "0\r\nX: 1\r\n x\r\n\r\n") == E::bad_value);
    CHECK(error_of(chunked + "0\r\nX 1\r\n\r\n") == E::bad_field);
    // Framing in trailers (found by the fuzz target: Beast refuses it too).
    CHECK(error_of(chunked + "0\r\nTransfer-Encoding: gzip\r\n\r\n") ==
          E::bad_transfer_encoding);
    CHECK(error_of(chunked + "0\r\nContent-Length: 3\r\n\r\n") == E::bad_content_length);
    CHECK(error_of(chunked + std::string(5000, '1')) == E::bad_chunk);

    // Cut short: the upstream closed early.
    CHECK(error_of("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc") == E::partial_message);
    CHECK(error_of(chunked + "5\r\nab") == E::partial_message);
    CHECK(error_of(chunked + "0\r\nX: 1\r\n") == E::partial_message);
    CHECK(error_of("HTTP/1.1 200 OK\r\nServer: x\r\n") == E::partial_message);
}

TEST_CASE("response reader: a head over the limit", "[response_reader]") {
    std::string in = "HTTP/1.1 200 OK\r\nX-Big: " + std::string(200, 'a') + "\r\n\r\n";
    ResponseReader r;
    auto m = read_with_reader(r, in, false, {16}, 64, 100);
    CHECK(m.ec == bhttp::error::header_limit);
    auto fits = read_with_reader(r, in, false, {16}, 64, in.size());
    CHECK(fits.ok);
    std::string trailers = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: " +
                           std::string(200, 'a') + "\r\n\r\n";
    CHECK(read_with_reader(r, trailers, false, {7}, 64, 100).ec == bhttp::error::header_limit);
}

// The relayed head without Beast's fields says what the Beast path (to_fields,
// strip_hop_by_hop, append_response_head with the same overrides) says.
TEST_CASE("response reader: relayed heads match the Beast path", "[response_reader]") {
    std::string in = "HTTP/1.1 200 Fine\r\nServer: nginx\r\nConnection: keep-alive, X-Secret\r\n"
                     "Keep-Alive: timeout=5\r\nX-Secret: s\r\nx-secret: t\r\nTE: trailers\r\n"
                     "Trailer: X\r\nUpgrade: h2c\r\nProxy-Authenticate: Basic\r\n"
                     "X-Request-Id: upstream-id\r\nContent-Length: 3\r\nVary: Accept\r\n\r\nabc";
    ResponseReader r;
    REQUIRE(read_with_reader(r, in, false, {}, 16).ok);
    bhttp::response_header<> res;
    res.result(r.status());
    res.reason(r.reason());
    for (const auto& f : r.fields()) res.insert(f.name, f.value);
    strip_hop_by_hop(res);
    for (unsigned version : {10u, 11u}) {
        res.version(version);
        for (auto framing : {Framing::none, Framing::length, Framing::chunked}) {
            for (std::string_view id : {std::string_view(), std::string_view("gw-id")}) {
                for (bool keep : {false, true}) {
                    HeadOverrides o;
                    o.framing = framing;
                    o.length = 3;
                    o.request_id = id;
                    o.keep_alive = keep;
                    std::string beast, mine;
                    append_response_head(beast, res, o);
                    append_response_head(mine, r, version, o);
                    CHECK(mine == beast);
                }
            }
        }
    }
    HeadOverrides o;
    o.framing = Framing::length;
    o.length = 3;
    o.request_id = "gw-id";
    std::string mine;
    append_response_head(mine, r, 11, o);
    CHECK(mine == "HTTP/1.1 200 Fine\r\nServer: nginx\r\nVary: Accept\r\nx-request-id: gw-id\r\n"
                  "Content-Length: 3\r\n\r\n");

    // Kept lines go out as the upstream wrote them, white space and all; the runs between
    // dropped ones are cut where they should be.
    ResponseReader spaced;
    REQUIRE(read_with_reader(spaced, "HTTP/1.1 200 OK\r\nA:1\r\nConnection: close\r\n"
                                     "B:\t two \t\r\nC: 3\r\nTE: x\r\nD:\r\n\r\n",
                             false, {}, 16).ok);
    std::string relayed;
    append_response_head(relayed, spaced, 11, HeadOverrides{});
    CHECK(relayed == "HTTP/1.1 200 OK\r\nA:1\r\nB:\t two \t\r\nC: 3\r\nD:\r\n\r\n");
}
