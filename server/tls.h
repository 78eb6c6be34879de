// TLS contexts: the downstream (listener) one, built once at start from server.tls, and client
// ones for upstreams and the gateway's own outbound calls.
#pragma once

#include <memory>

#include <boost/asio/ssl/context.hpp>

#include "config/types.h"

namespace gw::server {

// Throws boost::system::system_error when a file cannot be used.
std::shared_ptr<boost::asio::ssl::context> make_server_tls(const config::ServerTls& tls);

// A client context: TLS 1.2+, the CA file or the system store, optional client certificate,
// peer verification per `verify` (host names are checked per connection). Throws like above.
std::shared_ptr<boost::asio::ssl::context> make_client_tls(const config::UpstreamTls& tls);

}  // namespace gw::server
