// Runs an authenticator's coroutine to completion for one request, for the auth unit tests.
#pragma once

#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "middleware/auth/authenticator.h"

namespace gw::middleware::auth::test {

inline AuthResult authenticate(const Authenticator& a, const RequestHead& req,
                               boost::asio::io_context& ioc) {
    RequestContext ctx;
    auto f = boost::asio::co_spawn(ioc, a.authenticate(ctx, req), boost::asio::use_future);
    ioc.restart();
    ioc.run();
    return f.get();
}

// With `Authorization: Bearer <token>`.
inline AuthResult authenticate_bearer(const Authenticator& a, const std::string& token) {
    boost::asio::io_context ioc;
    RequestHead req;
    req.set(boost::beast::http::field::authorization, "Bearer " + token);
    return authenticate(a, req, ioc);
}

}  // namespace gw::middleware::auth::test
