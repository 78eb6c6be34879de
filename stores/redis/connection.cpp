#include "stores/redis/connection.h"

#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "server/log.h"

namespace gw::stores::redis {

namespace asio = boost::asio;
using boost::system::error_code;
using asio::ip::tcp;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
// Connecting includes TLS and AUTH, which can take longer than one command may.
constexpr std::chrono::milliseconds kMinConnectTimeout{1000};
constexpr std::size_t kReadBufferSize = 16 * 1024;

}  // namespace

// One connection attempt's socket. Both loops hold it, so it lives until both have left; a
// new attempt gets a new Link, never a reused socket with operations still pending on it.
struct Connection::Link {
    explicit Link(const asio::any_io_executor& ex) : socket(ex), resolver(ex), deadline(ex) {}
    tcp::socket socket;
    std::optional<asio::ssl::stream<tcp::socket&>> tls;
    tcp::resolver resolver;
    asio::steady_timer deadline;  // bounds the connect phase
    bool closed = false;

    void close() {
        closed = true;
        error_code ec;
        socket.close(ec);
        resolver.cancel();
        deadline.cancel();
    }
    asio::awaitable<std::tuple<error_code, std::size_t>> read_some(asio::mutable_buffer b) {
        if (tls) co_return co_await tls->async_read_some(b, kTuple);
        co_return co_await socket.async_read_some(b, kTuple);
    }
    asio::awaitable<std::tuple<error_code, std::size_t>> write(asio::const_buffer b) {
        if (tls) co_return co_await asio::async_write(*tls, b, kTuple);
        co_return co_await asio::async_write(socket, b, kTuple);
    }
};

Connection::Connection(asio::any_io_executor ex, std::shared_ptr<ClientShared> shared)
    : ex_(std::move(ex)), shared_(std::move(shared)), wake_writer_(ex_), backoff_timer_(ex_) {}

void Connection::start() {
    state_ = State::connecting;
    asio::co_spawn(ex_, run(shared_from_this()), log::on_exception("redis connection failed"));
}

void Connection::stop() {
    drop(Errc::disconnected);
    state_ = State::stopped;
    backoff_timer_.cancel();
}

bool Connection::accepting() const {
    if (state_ == State::ready) return true;
    return state_ == State::connecting && pipeline_.waiting() < kMaxQueuedWhileConnecting;
}

void Connection::submit(PendingPtr command, std::span<const std::string_view> args) {
    pipeline_.push(std::move(command), args);
    if (state_ == State::ready) wake_writer_.cancel();  // the writer sleeps when idle
}

void Connection::on_timeout(const PendingPtr& command) {
    command->complete(RedisReply::failure(Errc::timeout));
    // Before the connection is up nothing was sent: the command's late answer, if any, is
    // matched and dropped in order. Once sent, the order can no longer be trusted.
    if (state_ == State::ready) drop(Errc::disconnected);
}

void Connection::drop(Errc why) {
    if (link_) link_->close();
    link_.reset();
    if (state_ != State::stopped) state_ = State::backoff;
    wake_writer_.cancel();
    pipeline_.fail_all(why);
}

void Connection::log_down(std::string_view what, const error_code& ec) {
    // Logged when the state changes, not on every retry of an outage.
    if (!was_up_) return;
    was_up_ = false;
    std::string address = shared_->config.host + ":" + std::to_string(shared_->config.port);
    log::warn(what, {{"redis", address}, {"error", ec.message()}});
}

asio::awaitable<void> Connection::run(std::shared_ptr<Connection> self) {
    auto backoff = kMinBackoff;
    while (self->state_ != State::stopped) {
        self->state_ = State::connecting;
        auto link = std::make_shared<Link>(self->ex_);
        self->link_ = link;
        error_code ec = co_await self->connect(link);
        if (self->state_ == State::stopped) break;
        if (!ec) {
            self->state_ = State::ready;
            backoff = kMinBackoff;
            if (!self->was_up_) log::info("redis connected");
            self->was_up_ = true;
            asio::co_spawn(self->ex_, write_loop(self, link),
                           log::on_exception("redis writer failed"));
            ec = co_await self->read_loop(link);
            if (self->state_ == State::stopped) break;
            self->log_down("redis connection lost", ec);
            self->drop(Errc::disconnected);
        } else {
            self->log_down("cannot connect to redis", ec);
            self->drop(Errc::connect);
        }
        self->backoff_timer_.expires_after(backoff);
        co_await self->backoff_timer_.async_wait(kTuple);
        backoff = std::min(backoff * 2, kMaxBackoff);
    }
}

asio::awaitable<error_code> Connection::connect(LinkPtr link) {
    const auto& cfg = shared_->config;
    link->deadline.expires_after(std::max<std::chrono::milliseconds>(cfg.timeout,
                                                                     kMinConnectTimeout));
    link->deadline.async_wait([link](error_code ec) {
        if (!ec) link->close();
    });
    auto [rec, results] =
        co_await link->resolver.async_resolve(cfg.host, std::to_string(cfg.port), kTuple);
    error_code ec = rec;
    if (!ec) {
        std::tie(ec, std::ignore) = co_await asio::async_connect(link->socket, results, kTuple);
    }
    if (!ec) link->socket.set_option(tcp::no_delay(true), ec);
    if (!ec && cfg.tls) ec = co_await tls_handshake(link);
    if (!ec) ec = co_await handshake(link);
    if (!ec && link->closed) ec = make_error_code(Errc::timeout);
    link->deadline.cancel();
    co_return ec;
}

asio::awaitable<error_code> Connection::tls_handshake(LinkPtr link) {
    const auto& cfg = shared_->config;
    if (!shared_->tls) co_return make_error_code(Errc::connect);  // context failed to build
    link->tls.emplace(link->socket, *shared_->tls);
    const std::string& name = cfg.tls_options.sni.empty() ? cfg.host : cfg.tls_options.sni;
    error_code ec;
    asio::ip::make_address(name, ec);
    if (ec) {  // a name, not an address: send SNI
        SSL_set_tlsext_host_name(link->tls->native_handle(), name.c_str());
    }
    // Peer verification itself is the context's (make_client_tls); this checks the name.
    if (cfg.tls_options.verify) {
        link->tls->set_verify_callback(asio::ssl::host_name_verification(name));
    }
    auto [hec] = co_await link->tls->async_handshake(asio::ssl::stream_base::client, kTuple);
    co_return hec;
}

namespace {

// AUTH, SELECT and SCRIPT LOADs for a new connection, formatted into `out`; returns how many.
std::size_t setup_commands(const ClientShared& shared, std::string& out) {
    const auto& cfg = shared.config;
    std::size_t n = 0;
    if (!cfg.password.empty() && !cfg.username.empty()) {
        format_command(std::array<std::string_view, 3>{"AUTH", cfg.username, cfg.password}, out);
        ++n;
    } else if (!cfg.password.empty()) {
        format_command(std::array<std::string_view, 2>{"AUTH", cfg.password}, out);
        ++n;
    }
    if (cfg.db != 0) {
        const std::string db = std::to_string(cfg.db);
        format_command(std::array<std::string_view, 2>{"SELECT", db}, out);
        ++n;
    }
    for (const auto& source : shared.scripts) {
        format_command(std::array<std::string_view, 3>{"SCRIPT", "LOAD", source}, out);
        ++n;
    }
    return n;
}

}  // namespace

asio::awaitable<error_code> Connection::handshake(LinkPtr link) {
    // The setup commands go out together; their replies come first, before any queued
    // command is written (the writer starts only once this succeeds).
    std::string out;
    std::size_t expected = setup_commands(*shared_, out);
    if (expected == 0) co_return error_code{};
    auto [wec, wn] = co_await link->write(asio::buffer(out));
    if (wec) co_return wec;
    char buf[4096];
    while (expected > 0) {
        bool bad = false;
        while (auto reply = pipeline_.next_reply(bad)) {
            if (reply->type == RedisReply::Type::error) {
                // Redis' text ("WRONGPASS ...", "ERR DB index is out of range") holds no secret.
                if (was_up_) log::warn("redis connection setup refused", {{"error", reply->str}});
                co_return make_error_code(Errc::connect);
            }
            if (--expected == 0) co_return error_code{};
        }
        if (bad) co_return make_error_code(Errc::protocol);
        auto [rec, n] = co_await link->read_some(asio::buffer(buf));
        if (rec) co_return rec;
        pipeline_.feed(buf, n);
    }
    co_return error_code{};
}

asio::awaitable<error_code> Connection::read_loop(LinkPtr link) {
    std::unique_ptr<char[]> buf(new char[kReadBufferSize]);
    for (;;) {
        auto [ec, n] = co_await link->read_some(asio::buffer(buf.get(), kReadBufferSize));
        if (ec) co_return ec;
        // A read that completed just as the link was dropped belongs to the old connection.
        if (link->closed) co_return make_error_code(Errc::disconnected);
        pipeline_.feed(buf.get(), n);
        if (!pipeline_.deliver()) co_return make_error_code(Errc::protocol);
    }
}

asio::awaitable<void> Connection::write_loop(std::shared_ptr<Connection> self, LinkPtr link) {
    std::string buf;
    while (!link->closed) {
        if (!self->pipeline_.has_output()) {
            self->wake_writer_.expires_at(asio::steady_timer::time_point::max());
            co_await self->wake_writer_.async_wait(kTuple);
            continue;
        }
        self->pipeline_.take_output(buf);
        auto [ec, n] = co_await link->write(asio::buffer(buf));
        if (ec) {
            link->close();  // the read loop sees it and the connection is rebuilt
            co_return;
        }
    }
}

}  // namespace gw::stores::redis
