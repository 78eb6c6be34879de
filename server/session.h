// A downstream HTTP/1.x connection: reads requests in order (keep-alive, pipelining), routes
// each one and answers it locally or through the proxy. Runs as one coroutine on its worker.
#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "server/deadline_stream.h"
#include "server/executor.h"

namespace gw::server {

class Worker;

// Holds one of the max_connections slots and the active-connections gauge for as long as the
// connection lives, however its coroutine ends (return or exception).
class ConnectionSlot {
public:
    explicit ConnectionSlot(Worker& w);
    ConnectionSlot(ConnectionSlot&& o) noexcept : worker_(std::exchange(o.worker_, nullptr)) {}
    ConnectionSlot& operator=(ConnectionSlot&&) = delete;
    ~ConnectionSlot();

private:
    Worker* worker_;
};

using PlainStream = DeadlineStream;
using TlsStream = boost::beast::ssl_stream<DeadlineStream>;

template <class Stream>
Task<void> run_session(Stream stream, Worker& worker, boost::asio::ip::address peer,
                       ConnectionSlot slot);

}  // namespace gw::server
