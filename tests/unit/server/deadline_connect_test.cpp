// DeadlineStream::async_connect to one endpoint: its own connect (the socket created
// non-blocking, the outcome read from SO_ERROR when epoll reports it writable) connects, reports
// a refusal, and ends at its deadline; the connected socket then reads and writes like any.
#include <catch.hpp>

#include <fcntl.h>

#include <chrono>
#include <optional>
#include <thread>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>

#include "server/deadline_stream.h"
#include "server/stream_ops.h"

namespace gw::server {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

const auto kLoopback = asio::ip::make_address("127.0.0.1");

struct Outcome {
    bool done = false;
    boost::system::error_code ec;
};

// Connects `stream` to `to` and runs ioc until the connect completes, for at most 3 s.
Outcome connect(asio::io_context& ioc, DeadlineStream& stream, const tcp::endpoint& to) {
    Outcome out;
    stream.async_connect(to, [&out](boost::system::error_code ec) { out = {true, ec}; });
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    ioc.restart();
    while (!out.done && std::chrono::steady_clock::now() < until)
        ioc.run_one_for(std::chrono::milliseconds(50));
    return out;
}

TEST_CASE("connect: a listener accepts; the socket is non-blocking and carries data both ways") {
    asio::io_context ioc{1};
    tcp::acceptor acceptor(ioc, tcp::endpoint(kLoopback, 0));
    DeadlineStream stream(ioc.get_executor());
    stream.expires_after(std::chrono::seconds(2));
    Outcome c = connect(ioc, stream, acceptor.local_endpoint());
    REQUIRE(c.done);
    REQUIRE_FALSE(c.ec);
    const int fd = stream.socket().native_handle();
    CHECK((::fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
    CHECK((::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    CHECK(stream.socket().remote_endpoint().port() == acceptor.local_endpoint().port());

    tcp::socket peer = acceptor.accept();
    // The synchronous write of the proxy path: non-blocking, taken whole.
    boost::system::error_code ec;
    const std::string ping = "ping";
    std::size_t n = write_now(stream, std::array{asio::const_buffer(ping.data(), ping.size())}, ec);
    REQUIRE_FALSE(ec);
    CHECK(n == ping.size());
    std::string got(4, '\0');
    asio::read(peer, asio::buffer(got));
    CHECK(got == "ping");

    asio::write(peer, asio::buffer(std::string("pong")));
    std::string back(16, '\0');
    Outcome r;
    std::size_t rn = 0;
    stream.async_read_some(asio::buffer(back), [&](boost::system::error_code e, std::size_t k) {
        r = {true, e};
        rn = k;
    });
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    ioc.restart();
    while (!r.done && std::chrono::steady_clock::now() < until)
        ioc.run_one_for(std::chrono::milliseconds(50));
    REQUIRE(r.done);
    REQUIRE_FALSE(r.ec);
    CHECK(back.substr(0, rn) == "pong");
}

TEST_CASE("connect: a closed port is refused") {
    asio::io_context ioc{1};
    tcp::endpoint closed;
    {
        tcp::acceptor a(ioc, tcp::endpoint(kLoopback, 0));
        closed = a.local_endpoint();
    }  // nothing listens there now
    DeadlineStream stream(ioc.get_executor());
    stream.expires_after(std::chrono::seconds(2));
    Outcome c = connect(ioc, stream, closed);
    REQUIRE(c.done);
    CHECK(c.ec == asio::error::connection_refused);
}

// A listener whose connects stay in progress: its accept queue is full, and Linux then drops
// further SYNs (tcp_abort_on_overflow is off by default).
struct BlackHole {
    tcp::acceptor acceptor;
    std::vector<tcp::socket> queued;
    explicit BlackHole(asio::io_context& ioc) : acceptor(ioc) {
        acceptor.open(tcp::v4());
        acceptor.bind(tcp::endpoint(kLoopback, 0));
        acceptor.listen(0);
        // Fill the queue with connects left in progress (non-blocking): the first ones
        // complete, the later ones wait like the one under test.
        const tcp::endpoint to = acceptor.local_endpoint();
        for (int i = 0; i < 4; ++i) {
            queued.emplace_back(ioc);
            queued.back().open(tcp::v4());
            queued.back().non_blocking(true);
            ::connect(queued.back().native_handle(), to.data(), static_cast<socklen_t>(to.size()));
        }
    }
    tcp::endpoint endpoint() const { return acceptor.local_endpoint(); }
};

TEST_CASE("connect: one that does not complete ends at its deadline") {
    asio::io_context ioc{1};
    BlackHole hole(ioc);
    DeadlineStream stream(ioc.get_executor());
    stream.expires_after(std::chrono::milliseconds(300));
    const auto started = std::chrono::steady_clock::now();
    Outcome c = connect(ioc, stream, hole.endpoint());
    const auto took = std::chrono::steady_clock::now() - started;
    REQUIRE(c.done);
    CHECK(c.ec == boost::beast::error::timeout);
    CHECK(took >= std::chrono::milliseconds(250));
    CHECK(took < std::chrono::seconds(2));
}

// The reactor queues a batch of epoll events before it runs their handlers. When one handler
// closes a socket whose events are still queued and a connect then reuses that socket's
// reactor state, the old events complete the connect's wait: the connect must not take that
// for success (it would, by SO_ERROR alone, while the socket is still in SYN_SENT).
TEST_CASE("connect: a stale readiness report does not complete a connect in progress") {
    asio::io_context ioc{1};
    BlackHole hole(ioc);
    Acceptor acceptor(ioc, tcp::endpoint(kLoopback, 0));
    // x and a: accepted sockets on ioc; their peers connect from outside it.
    tcp::socket px(ioc), pa(ioc);
    px.connect(acceptor.local_endpoint());
    Socket x = acceptor.accept();
    pa.connect(acceptor.local_endpoint());
    Socket a = acceptor.accept();

    std::optional<DeadlineStream> up;
    Outcome c;
    char byte[16];
    x.async_read_some(asio::buffer(byte), [&](boost::system::error_code, std::size_t) {
        a.close();  // a's reactor state goes back to the pool, its events still queued
        up.emplace(ioc.get_executor());
        up->expires_after(std::chrono::milliseconds(300));
        up->async_connect(hole.endpoint(), [&c](boost::system::error_code ec) { c = {true, ec}; });
    });
    ioc.poll();  // x's read waits on epoll
    // x readable, then a reset on a: both in the reactor's next batch, x first.
    ::send(px.native_handle(), "x", 1, 0);
    ::linger abort{1, 0};
    ::setsockopt(pa.native_handle(), SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
    pa.close();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    ioc.restart();
    while (!c.done && std::chrono::steady_clock::now() < until)
        ioc.run_one_for(std::chrono::milliseconds(50));
    REQUIRE(c.done);
    CHECK(c.ec == boost::beast::error::timeout);  // still connecting at the deadline
}

}  // namespace
}  // namespace gw::server
