// DeadlineStream::async_connect to one endpoint: its own connect (the socket created
// non-blocking, the outcome read from SO_ERROR when epoll reports it writable) connects, reports
// a refusal, and ends at its deadline; the connected socket then reads and writes like any.
#include <catch.hpp>

#include <fcntl.h>

#include <chrono>
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

TEST_CASE("connect: one that does not complete ends at its deadline") {
    asio::io_context ioc{1};
    // A listener with a full accept queue drops further SYNs (tcp_abort_on_overflow is off by
    // default), so a connect to it stays in progress.
    tcp::acceptor acceptor(ioc);
    acceptor.open(tcp::v4());
    acceptor.bind(tcp::endpoint(kLoopback, 0));
    acceptor.listen(0);
    std::vector<tcp::socket> queued;
    DeadlineStream stream(ioc.get_executor());
    // Fill the queue with connects left in progress (non-blocking): the first ones complete,
    // the later ones wait like the one under test.
    const tcp::endpoint to = acceptor.local_endpoint();
    for (int i = 0; i < 8; ++i) {
        queued.emplace_back(ioc);
        queued.back().open(tcp::v4());
        queued.back().non_blocking(true);
        ::connect(queued.back().native_handle(), to.data(), static_cast<socklen_t>(to.size()));
    }
    stream.expires_after(std::chrono::milliseconds(300));
    const auto started = std::chrono::steady_clock::now();
    Outcome c = connect(ioc, stream, acceptor.local_endpoint());
    const auto took = std::chrono::steady_clock::now() - started;
    REQUIRE(c.done);
    CHECK(c.ec == boost::beast::error::timeout);
    CHECK(took >= std::chrono::milliseconds(250));
    CHECK(took < std::chrono::seconds(2));
}

}  // namespace
}  // namespace gw::server
