// A connected TCP pair on 127.0.0.1 for the stream tests: `stream` (the gateway's side, a
// DeadlineStream on ioc) and `peer` (a plain socket, used blocking).
#pragma once

#include <optional>
#include <string>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "server/deadline_stream.h"

namespace gw::server::test {

struct LoopbackPair {
    boost::asio::io_context ioc{1};
    // Work kept on the context, so that poll() runs the reactor (takes epoll's edges) even when
    // no read is waiting.
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{
        ioc.get_executor()};
    boost::asio::io_context peer_ioc;
    boost::asio::ip::tcp::socket peer{peer_ioc};
    std::optional<DeadlineStream> stream;

    LoopbackPair() {
        using tcp = boost::asio::ip::tcp;
        Acceptor acceptor(ioc, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
        drained::enable_hint(acceptor.native_handle());  // as Worker::listen
        peer.connect(acceptor.local_endpoint());
        stream.emplace(acceptor.accept());
    }
    // What the peer sends, and reads (exactly n bytes, blocking).
    void send(const std::string& s) { boost::asio::write(peer, boost::asio::buffer(s)); }
    std::string read(std::size_t n) {
        std::string got(n, '\0');
        boost::asio::read(peer, boost::asio::buffer(got));
        return got;
    }
};

}  // namespace gw::server::test
