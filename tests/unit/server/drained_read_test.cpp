// drained::async_read_some (through DeadlineStream, its user): a read that drained the socket
// makes the next one wait for epoll, and data or an end of stream arriving later, before or
// after the next read starts, still completes it. And the read that waits for epoll without
// trying first (DeadlineStream::await_readable).
#include <catch.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include "server/deadline_stream.h"
#include "tests/unit/server/loopback_pair.h"

namespace gw::server {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

using Pair = test::LoopbackPair;

// Runs what is ready now (the reactor included) without blocking. P: Pair or ConnectedPair.
template <class P>
void poll(P& p) {
    p.ioc.restart();
    p.ioc.poll();
}

struct Result {
    bool done = false;
    boost::system::error_code ec;
    std::size_t n = 0;
};

// Starts a read of up to `size` bytes into `out`.
template <class P>
void start_read(P& p, std::string& out, std::size_t size, Result& r) {
    out.assign(size, '\0');
    p.stream->async_read_some(asio::buffer(out), [&r](boost::system::error_code ec, std::size_t n) {
        r = {true, ec, n};
    });
}

// Runs the context until the read completes, for at most 2 s (a lost edge shows as a hang).
template <class P>
void run_until(P& p, const Result& r) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    p.ioc.restart();  // a context that ran out of work stays stopped until restarted
    while (!r.done && std::chrono::steady_clock::now() < until)
        p.ioc.run_one_for(std::chrono::milliseconds(50));
}

// Starts a read and runs until it completes (required).
void read_once(Pair& p, std::string& out, Result& r, std::size_t size = 2048) {
    start_read(p, out, size, r);
    run_until(p, r);
    REQUIRE(r.done);
}

TEST_CASE("a short read, then data sent while the next read waits") {
    Pair p;
    std::string buf;
    Result r;
    p.send("GET /a");
    read_once(p, buf, r);
    REQUIRE_FALSE(r.ec);
    CHECK(buf.substr(0, r.n) == "GET /a");

    // The socket is drained: the next read waits on epoll and completes when data comes.
    Result r2;
    start_read(p, buf, 2048, r2);
    poll(p);
    CHECK_FALSE(r2.done);
    p.send("GET /b");
    run_until(p, r2);
    REQUIRE(r2.done);
    REQUIRE_FALSE(r2.ec);
    CHECK(buf.substr(0, r2.n) == "GET /b");
}

TEST_CASE("data that arrives between a short read and the next read is not lost") {
    Pair p;
    std::string buf;
    Result r;
    p.send("first");
    read_once(p, buf, r);
    REQUIRE(r.n == 5);

    // epoll reports the new data while no read is waiting; the next read must still see it.
    p.send("second");
    for (int i = 0; i < 5; ++i) {
        poll(p);
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    Result r2;
    read_once(p, buf, r2);
    REQUIRE_FALSE(r2.ec);
    CHECK(buf.substr(0, r2.n) == "second");
}

TEST_CASE("a read that fills its buffer leaves the rest for the next read at once") {
    Pair p;
    std::string buf;
    Result r;
    // epoll's edges for the new socket and for the data are taken before the reads start, so
    // only the reads' own outcome tells the second one whether to try at once.
    poll(p);
    p.send("0123456789");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    poll(p);
    read_once(p, buf, r, 4);
    CHECK(buf == "0123");
    Result r2;
    read_once(p, buf, r2);
    CHECK(buf.substr(0, r2.n) == "456789");
}

TEST_CASE("end of stream after a short read") {
    Pair p;
    std::string buf;
    Result r;
    p.send("last");
    start_read(p, buf, 2048, r);
    run_until(p, r);
    REQUIRE(r.n == 4);
    Result r2;
    start_read(p, buf, 2048, r2);
    poll(p);
    CHECK_FALSE(r2.done);
    p.peer.shutdown(tcp::socket::shutdown_send);
    run_until(p, r2);
    REQUIRE(r2.done);
    CHECK(r2.ec == asio::error::eof);
}

TEST_CASE("an end of stream queued behind the last data is read at once") {
    // The data and the FIN arrive before the reads start, and poll() takes their epoll edges
    // while no read waits: the read of the data is short, but the hint says the FIN is left,
    // so the next read tries at once.
    Pair p;
    std::string buf;
    poll(p);
    p.send("last");
    p.peer.shutdown(tcp::socket::shutdown_send);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    poll(p);
    Result r;
    read_once(p, buf, r);
    REQUIRE(r.n == 4);
    Result r2;
    read_once(p, buf, r2);
    CHECK(r2.ec == asio::error::eof);
}

TEST_CASE("an eager read sees a reset queued behind the last data at once") {
    // Linux answers a close with unread bytes with a reset: data, then the reset, both taken
    // by poll() before the reads. The hint does not show a reset; read_eagerly does.
    Pair p;
    std::string buf;
    poll(p);
    p.send("answer");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    p.peer.set_option(asio::socket_base::linger(true, 0));
    p.peer.close();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    poll(p);
    p.stream->read_eagerly(true);
    p.stream->expires_after(std::chrono::seconds(30));
    Result r;
    read_once(p, buf, r);
    CHECK(buf.substr(0, r.n) == "answer");
    Result r2;
    read_once(p, buf, r2);
    CHECK(r2.ec == asio::error::connection_reset);
}

TEST_CASE("a waiting drained read is cancelled or times out; an empty read completes at once") {
    SECTION("socket cancel") {
        Pair p;
        std::string buf;
        Result r;
        start_read(p, buf, 2048, r);
        poll(p);
        REQUIRE_FALSE(r.done);
        p.stream->cancel();
        run_until(p, r);
        REQUIRE(r.done);
        CHECK(r.ec == asio::error::operation_aborted);
    }
    SECTION("per-operation cancellation slot") {
        Pair p;
        std::string buf(2048, '\0');
        Result r;
        asio::cancellation_signal signal;
        p.stream->async_read_some(
            asio::buffer(buf),
            asio::bind_cancellation_slot(signal.slot(),
                                         [&r](boost::system::error_code ec, std::size_t n) {
                                             r = {true, ec, n};
                                         }));
        poll(p);
        REQUIRE_FALSE(r.done);
        signal.emit(asio::cancellation_type::terminal);
        run_until(p, r);
        REQUIRE(r.done);
        CHECK(r.ec == asio::error::operation_aborted);
    }
    SECTION("deadline") {
        Pair p;
        std::string buf;
        Result r;
        p.stream->expires_after(std::chrono::milliseconds(20));
        start_read(p, buf, 2048, r);
        run_until(p, r);
        REQUIRE(r.done);
        CHECK(r.ec == boost::beast::error::timeout);
    }
    SECTION("empty buffer") {
        Pair p;
        std::string buf;
        Result r;
        start_read(p, buf, 0, r);
        poll(p);
        REQUIRE(r.done);
        CHECK_FALSE(r.ec);
        CHECK(r.n == 0);
    }
}

// A stream connected by DeadlineStream::async_connect (await_readable needs its TCP_INFO
// check), with the accepted peer; `before` runs after the peer accepted and before the
// connect's completion is handled.
struct ConnectedPair {
    asio::io_context ioc{1};
    asio::executor_work_guard<asio::io_context::executor_type> work{ioc.get_executor()};
    asio::io_context peer_ioc;
    tcp::acceptor acceptor{peer_ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
    tcp::socket peer{peer_ioc};
    std::optional<DeadlineStream> stream{std::in_place, ioc.get_executor()};

    template <class Before>
    explicit ConnectedPair(Before before) {
        Result c;
        stream->async_connect(acceptor.local_endpoint(),
                              [&c](boost::system::error_code e) { c = {true, e, 0}; });
        peer = acceptor.accept();
        before(*this);
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        run_until(*this, c);
        REQUIRE(c.done);
        REQUIRE_FALSE(c.ec);
    }
    ConnectedPair() : ConnectedPair([](ConnectedPair&) {}) {}
    void send(const std::string& s) { asio::write(peer, asio::buffer(s)); }
};

// await_readable, then a read that waits (nothing new has come).
void start_waiting_read(ConnectedPair& c, std::string& buf, Result& r) {
    c.stream->await_readable();
    start_read(c, buf, 2048, r);
    poll(c);
    CHECK_FALSE(r.done);
}

TEST_CASE("await_readable: the read waits for epoll and gets what arrives") {
    SECTION("data sent after the read started") {
        ConnectedPair c;
        std::string buf;
        Result r;
        start_waiting_read(c, buf, r);
        c.send("HTTP/1.1 200 OK");
        run_until(c, r);
        REQUIRE(r.done);
        REQUIRE_FALSE(r.ec);
        CHECK(buf.substr(0, r.n) == "HTTP/1.1 200 OK");
    }
    SECTION("data sent before the read started, its edge not taken yet") {
        // The answer that comes between the request's write and the read: epoll reports it
        // to the read that waits.
        ConnectedPair c;
        std::string buf;
        Result r;
        c.send("early");
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        c.stream->await_readable();
        start_read(c, buf, 2048, r);
        run_until(c, r);
        REQUIRE(r.done);
        CHECK(buf.substr(0, r.n) == "early");
    }
    SECTION("the peer closes after the read started") {
        ConnectedPair c;
        std::string buf;
        Result r;
        start_waiting_read(c, buf, r);
        c.peer.close();
        run_until(c, r);
        REQUIRE(r.done);
        CHECK(r.ec == asio::error::eof);
    }
}

TEST_CASE("await_readable: the read does not try the socket first") {
    // Data whose epoll edge was taken while no read waited: a read that tries first gets it at
    // once; one that does not waits for the next edge (why the caller must not have waited on
    // epoll since the connect), and then gets both pieces.
    ConnectedPair c;
    std::string buf;
    Result r;
    c.send("first ");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    poll(c);
    start_waiting_read(c, buf, r);
    c.send("second");
    run_until(c, r);
    REQUIRE(r.done);
    CHECK(buf.substr(0, r.n) == "first second");
}

// await_readable, then a read that must complete without waiting for a new edge.
template <class P>
Result read_with_await_readable(P& p, std::string& buf) {
    Result r;
    p.stream->await_readable();
    start_read(p, buf, 2048, r);
    poll(p);
    REQUIRE(r.done);
    return r;
}

TEST_CASE("await_readable has no effect on a connection that heard from its peer first") {
    // What came with the connect's completion (its epoll edge taken then): the read must try
    // the socket at once, or it would wait for an edge that never comes.
    SECTION("a FIN") {
        ConnectedPair c([](ConnectedPair& k) { k.peer.shutdown(tcp::socket::shutdown_send); });
        std::string buf;
        CHECK(read_with_await_readable(c, buf).ec == asio::error::eof);
    }
    SECTION("bytes") {
        ConnectedPair c([](ConnectedPair& k) { k.send("hello"); });
        std::string buf;
        CHECK(buf.substr(0, read_with_await_readable(c, buf).n) == "hello");
    }
    SECTION("a stream that was not connected by async_connect (accepted)") {
        Pair p;
        std::string buf;
        p.send("there");
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        poll(p);  // the edge is taken
        CHECK(buf.substr(0, read_with_await_readable(p, buf).n) == "there");
    }
}

TEST_CASE("await_readable holds for one read only") {
    // The first read fills its buffer, so the rest is left with no new edge to come: the next
    // read must try the socket at once, as without await_readable.
    ConnectedPair c;
    std::string buf;
    Result r;
    c.stream->await_readable();
    start_read(c, buf, 4, r);
    c.send("0123456789");
    run_until(c, r);
    REQUIRE(r.done);
    CHECK(buf == "0123");
    Result r2;
    start_read(c, buf, 2048, r2);
    run_until(c, r2);
    REQUIRE(r2.done);
    CHECK(buf.substr(0, r2.n) == "456789");
}

}  // namespace
}  // namespace gw::server
