// The admin listener: /healthz, /readyz, /metrics, /routes and POST /reload on its own port,
// served on the control thread (never on a worker), with an optional bearer token.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "server/shared_state.h"

namespace gw::server {

class AdminServer {
public:
    // reload returns the errors of a refused reload, empty on success.
    using ReloadFn = std::function<std::vector<std::string>()>;

    AdminServer(boost::asio::io_context& ioc, const boost::asio::ip::tcp::endpoint& endpoint,
                SharedState& shared, ReloadFn reload);
    boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }
    void start();
    void close();

private:
    boost::asio::awaitable<void> accept_loop();
    boost::asio::awaitable<void> session(boost::asio::ip::tcp::socket socket);

    boost::asio::io_context& ioc_;
    boost::asio::ip::tcp::acceptor acceptor_;
    SharedState& shared_;
    ReloadFn reload_;
};

// The compiled route table as JSON, for GET /routes. Never includes credentials.
std::string routes_json(const config::Config& config);

}  // namespace gw::server
