// One pipelined connection to Redis, owned by a RedisClient on one worker thread (its
// io_context's only thread: nothing here locks). It connects (TCP, TLS for rediss://, then
// AUTH, SELECT and SCRIPT LOAD of the known scripts), then writes queued commands back to back
// and matches replies in order. When it breaks (I/O error, protocol error, a timed-out
// command), its in-flight commands fail and it reconnects after a backoff that doubles from
// kMinBackoff to kMaxBackoff; while it waits, commands are refused at once (fail fast).
#pragma once

#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "config/types.h"
#include "stores/redis/pipeline.h"

namespace gw::stores::redis {

// What the connections of one client share; the client owns it, connections keep it alive.
struct ClientShared {
    config::RedisConfig config;
    std::shared_ptr<boost::asio::ssl::context> tls;  // rediss:// only
    std::vector<std::string> scripts;  // sources of every script used: loaded on connect
};

inline constexpr std::chrono::milliseconds kMinBackoff{50};
inline constexpr std::chrono::milliseconds kMaxBackoff{2000};
// Commands may wait for a connection being set up, but only this many per connection.
inline constexpr std::size_t kMaxQueuedWhileConnecting = 1024;

class Connection : public std::enable_shared_from_this<Connection> {
public:
    enum class State { connecting, ready, backoff, stopped };

    Connection(boost::asio::any_io_executor ex, std::shared_ptr<ClientShared> shared);
    void start();  // begins connecting
    void stop();   // closes for good; waiting commands fail

    State state() const { return state_; }
    // True when submit() may be called: ready, or connecting with room in the queue.
    bool accepting() const;
    std::size_t waiting() const { return pipeline_.waiting(); }
    // Queues a command. Precondition: accepting().
    void submit(PendingPtr command, std::span<const std::string_view> args);
    // A command of this connection passed its deadline: on a live connection the reply order
    // is lost (its answer may still come), so the connection is dropped and rebuilt.
    void on_timeout(const PendingPtr& command);

private:
    struct Link;  // one socket (and TLS stream) for one connection attempt
    using LinkPtr = std::shared_ptr<Link>;

    // Static with `self` as a parameter: the coroutine frame keeps the connection alive.
    static boost::asio::awaitable<void> run(std::shared_ptr<Connection> self);
    boost::asio::awaitable<boost::system::error_code> connect(LinkPtr link);
    boost::asio::awaitable<boost::system::error_code> handshake(LinkPtr link);
    boost::asio::awaitable<boost::system::error_code> tls_handshake(LinkPtr link);
    boost::asio::awaitable<boost::system::error_code> read_loop(LinkPtr link);
    static boost::asio::awaitable<void> write_loop(std::shared_ptr<Connection> self,
                                                   LinkPtr link);
    void drop(Errc why);
    void log_down(std::string_view what, const boost::system::error_code& ec);

    boost::asio::any_io_executor ex_;
    std::shared_ptr<ClientShared> shared_;
    State state_ = State::backoff;
    Pipeline pipeline_;
    LinkPtr link_;  // the current attempt's link; null while backing off
    boost::asio::steady_timer wake_writer_;
    boost::asio::steady_timer backoff_timer_;
    bool was_up_ = true;  // for logging state changes once, not every retry
};

}  // namespace gw::stores::redis
