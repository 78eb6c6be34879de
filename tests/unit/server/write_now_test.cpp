// write_now on a plain stream: pieces go out in order in one call (small ones gathered on the
// stack, larger gathers by sendmsg), empty pieces are skipped, and a full socket takes part of
// a write or none of it without blocking.
#include <catch.hpp>

#include <array>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>

#include "server/deadline_stream.h"
#include "server/stream_ops.h"
#include "tests/unit/server/loopback_pair.h"

namespace gw::server {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

using Pair = test::LoopbackPair;

asio::const_buffer buf(const std::string& s) { return asio::buffer(s); }

TEST_CASE("write_now: small pieces go out whole and in order, empty ones skipped") {
    Pair p;
    const std::string a = "HTTP/1.1 200 OK\r\n", b, c = "\r\n", d = "body";
    boost::system::error_code ec;
    std::size_t n = write_now(*p.stream, std::array{buf(a), buf(b), buf(c), buf(d)}, ec);
    REQUIRE_FALSE(ec);
    CHECK(n == a.size() + c.size() + d.size());
    CHECK(p.read(n) == a + c + d);
    // Nothing to write: nothing written, no error.
    const std::string none;
    CHECK(write_now(*p.stream, std::array{buf(none), buf(none)}, ec) == 0);
    CHECK_FALSE(ec);
}

TEST_CASE("write_now: a gather larger than the stack copy goes out in order") {
    Pair p;
    const std::string head(300, 'h'), body(kGatherBytes * 4, 'b');
    boost::system::error_code ec;
    std::size_t n = write_now(*p.stream, std::array{buf(head), buf(body)}, ec);
    REQUIRE_FALSE(ec);
    CHECK(n == head.size() + body.size());  // the socket buffer takes 8 KiB at once
    CHECK(p.read(n) == head + body);
}

TEST_CASE("write_now: a full socket takes part or none, without blocking or an error") {
    Pair p;
    int small = 4096;
    ::setsockopt(p.stream->socket().native_handle(), SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    std::string sent;
    const std::string piece(1000, 'x');
    std::size_t last = 0;
    // The peer reads nothing: the socket fills within a few hundred KiB (bounded loop).
    for (int i = 0; i < 10000; ++i) {
        const std::string tag = std::to_string(i % 10);
        boost::system::error_code ec;
        last = write_now(*p.stream, std::array{buf(tag), buf(piece)}, ec);
        REQUIRE_FALSE(ec);
        sent += (tag + piece).substr(0, last);
        if (last < tag.size() + piece.size()) break;
    }
    CHECK(last < 1 + piece.size());  // the socket filled: a short write came back
    CHECK(p.read(sent.size()) == sent);  // what it took went out, in order
}

TEST_CASE("write_now: a reset peer gives the error") {
    Pair p;
    ::linger abort{1, 0};
    ::setsockopt(p.peer.native_handle(), SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
    p.peer.close();
    const std::string a = "abc";
    boost::system::error_code ec;
    for (int i = 0; i < 3 && !ec; ++i) write_now(*p.stream, std::array{buf(a)}, ec);
    CHECK((ec == asio::error::connection_reset || ec == asio::error::broken_pipe));
}

}  // namespace
}  // namespace gw::server
