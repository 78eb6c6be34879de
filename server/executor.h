// The executor of everything that runs on an io_context of ours (workers, the control thread):
// the io_context's own executor type, in one place. Asio's default, any_io_executor, is
// type-erased: every async operation copied it, queried it and asked it for work tracking
// through function pointers (about 7% of a proxied request's instructions in callgrind). With
// the concrete type those are a pointer copy and an inline call.
//
// Sockets, timers and coroutines (Task) of the gateway use these aliases (streams wrap Socket:
// deadline_stream.h).
// stores/redis/ keeps asio's defaults; await_erased() bridges to its awaitables.
#pragma once

#include <chrono>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace gw {

using Executor = boost::asio::io_context::executor_type;

// A coroutine of ours: co_await it from another Task, co_spawn it on an io_context.
template <class T = void>
using Task = boost::asio::awaitable<T, Executor>;

// The completion token of an async operation awaited in a Task; kTuple returns the error
// code (and results) as a tuple instead of throwing.
inline constexpr boost::asio::use_awaitable_t<Executor> use_task;
inline constexpr auto kTuple = boost::asio::as_tuple(use_task);
// The same for coroutines left on asio's default executor: background work of the control
// thread (admin, health checks, DNS refresh, fetch) that also awaits those interfaces.
inline constexpr auto kErasedTuple = boost::asio::as_tuple(boost::asio::use_awaitable);

using Timer = boost::asio::basic_waitable_timer<
    std::chrono::steady_clock, boost::asio::wait_traits<std::chrono::steady_clock>, Executor>;
using Socket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, Executor>;
using Acceptor = boost::asio::basic_socket_acceptor<boost::asio::ip::tcp, Executor>;
using Resolver = boost::asio::ip::basic_resolver<boost::asio::ip::tcp, Executor>;

// Awaits an awaitable made for asio's default executor (stores/redis/, the cache and rate-limit
// store interfaces) from a Task: it runs as its own coroutine on this Task's executor. That
// costs a coroutine start, so only paths that wait on the network anyway use it.
template <class T>
Task<T> await_erased(boost::asio::awaitable<T> a) {
    auto ex = co_await boost::asio::this_coro::executor;
    co_return co_await boost::asio::co_spawn(ex, std::move(a), use_task);
}

}  // namespace gw
