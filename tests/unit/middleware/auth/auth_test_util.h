// Helpers for the auth unit tests: running a coroutine to completion and building tables.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "middleware/auth/consumers.h"

namespace gw::middleware::auth::test {

template <class T, class Executor>
T run(boost::asio::awaitable<T, Executor> a) {
    boost::asio::io_context ioc;
    auto f = boost::asio::co_spawn(ioc, std::move(a), boost::asio::use_future);
    ioc.run();
    return f.get();
}

// billing (two keys: rotation), mobile (jwt subject, group "apps"), ops (group "internal").
inline std::shared_ptr<const ConsumerTable> sample_consumers() {
    std::vector<Consumer> consumers = {{"billing", {"internal"}, ""},
                                       {"mobile", {"apps"}, "mobile-sub"},
                                       {"ops", {"internal", "admins"}, ""}};
    std::vector<ConsumerTable::Key> keys = {
        {sha256("billing-key-old-0123456789"), 0},
        {sha256("billing-key-new-0123456789"), 0},
        {*digest_from_hex("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"), 2},
    };
    return std::make_shared<const ConsumerTable>(std::move(consumers), std::move(keys));
}

}  // namespace gw::middleware::auth::test
