// One connection to an upstream target, plain or TLS. Owned by exactly one worker: by its pool
// while idle, by one request while in use.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "server/deadline_stream.h"
#include "server/executor.h"
#include "server/response_reader.h"

namespace gw::server {

namespace beast = boost::beast;
namespace asio = boost::asio;

class UpstreamConnection {
public:
    using TlsStream = beast::ssl_stream<DeadlineStream>;

    explicit UpstreamConnection(Executor ex) : plain_(std::in_place, ex) {}
    UpstreamConnection(Executor ex, std::shared_ptr<asio::ssl::context> ctx)
        : tls_ctx_(std::move(ctx)), tls_(std::in_place, ex, *tls_ctx_) {}

    bool is_tls() const { return tls_.has_value(); }
    DeadlineStream& tcp() { return tls_ ? beast::get_lowest_layer(*tls_) : *plain_; }
    TlsStream& tls() { return *tls_; }
    DeadlineStream& plain() { return *plain_; }
    const std::shared_ptr<asio::ssl::context>& tls_context() const { return tls_ctx_; }

    beast::flat_buffer buffer;  // bytes read past the last message stay with the connection
    std::string heads;          // room for the request and response heads of its exchanges
    ResponseReader response;    // reads its answers (its buffers keep their room)
    std::string key;            // pool key: the target URL
    std::chrono::steady_clock::time_point idle_since{};
    bool reused = false;        // taken from the pool, so it may have been closed by the peer

private:
    std::shared_ptr<asio::ssl::context> tls_ctx_;  // keeps the context alive for the stream
    std::optional<DeadlineStream> plain_;
    std::optional<TlsStream> tls_;
};

using UpstreamConnectionPtr = std::unique_ptr<UpstreamConnection>;

}  // namespace gw::server
