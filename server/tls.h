// The downstream (listener) TLS context, built once at start from server.tls.
#pragma once

#include <memory>

#include <boost/asio/ssl/context.hpp>

#include "config/types.h"

namespace gw::server {

// Throws boost::system::system_error when a file cannot be used.
std::shared_ptr<boost::asio::ssl::context> make_server_tls(const config::ServerTls& tls);

}  // namespace gw::server
