#include "server/health_checker.h"

#include <openssl/ssl.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "server/log.h"
#include "server/stream_ops.h"
#include "server/target_state.h"
#include "server/tls.h"

namespace gw::server {
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {
// A check that has not answered within this (or its interval, when shorter) has failed.
constexpr config::Duration kMaxCheckTime = std::chrono::seconds(10);
constexpr std::uint32_t kMaxCheckBody = 64 * 1024;
}  // namespace

struct HealthChecker::Check {
    Check(asio::io_context& ioc, std::shared_ptr<const config::Upstream> up, std::size_t index)
        : upstream(std::move(up)), target(upstream->targets[index]),
          spec(*upstream->health_check), timer(ioc) {}

    std::shared_ptr<const config::Upstream> upstream;  // pins target and spec
    const config::Target& target;
    const config::HealthCheck& spec;
    asio::steady_timer timer;
    std::shared_ptr<asio::ssl::context> tls;
    bool stopped = false;
    unsigned successes = 0;  // in a row
    unsigned failures = 0;   // in a row

    config::Duration timeout() const { return std::min(spec.interval, kMaxCheckTime); }
    void note(bool ok);
};

void HealthChecker::Check::note(bool ok) {
    auto& state = *target.state;
    // Traffic may have marked the target unhealthy meanwhile: it then needs healthy_after
    // good checks from now on.
    if (!state.healthy() && failures == 0 && successes >= spec.healthy_after) successes = 0;
    if (ok) {
        ++successes;
        failures = 0;
        if (!state.healthy() && successes >= spec.healthy_after) {
            state.set_healthy(true);
            log::info("upstream target healthy",
                      {{"upstream", upstream->name}, {"target", target.authority}});
        }
        return;
    }
    ++failures;
    successes = 0;
    if (state.healthy() && failures >= spec.unhealthy_after) {
        state.set_healthy(false);
        log::warn("upstream target unhealthy",
                  {{"upstream", upstream->name}, {"target", target.authority}});
    }
}

namespace {

// GET path, then the status of the answer: 2xx is healthy.
template <class Stream>
asio::awaitable<bool> get_ok(Stream& stream, const HealthChecker::Check& c) {
    http::request<http::empty_body> req{http::verb::get, c.spec.path, 11};
    req.set(http::field::host, c.target.host_header);
    req.set(http::field::user_agent, "gateway-health-check");
    req.set(http::field::connection, "close");
    auto [wec, wn] = co_await http::async_write(stream, req, kTuple);
    if (wec) co_return false;
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxCheckBody);
    auto [rec, rn] = co_await http::async_read(stream, buffer, parser, kTuple);
    if (rec) co_return false;
    unsigned status = parser.get().result_int();
    co_return status >= 200 && status < 300;
}

asio::awaitable<bool> probe(asio::io_context& ioc, HealthChecker::Check& c) {
    beast::tcp_stream stream(ioc);
    stream.expires_after(c.timeout());
    tcp::resolver resolver(ioc);
    auto [rec, results] = co_await resolver.async_resolve(
        c.target.host, std::to_string(c.target.port), kTuple);
    if (rec) co_return false;
    auto [cec, ep] = co_await stream.async_connect(results, kTuple);
    if (cec) co_return false;
    if (!c.target.tls) co_return co_await get_ok(stream, c);
    if (!c.tls) c.tls = make_client_tls(c.upstream->tls);
    beast::ssl_stream<beast::tcp_stream> tls(std::move(stream), *c.tls);
    const auto& up_tls = c.upstream->tls;
    const std::string& sni = up_tls.sni.empty() ? c.target.host : up_tls.sni;
    if (!SSL_set_tlsext_host_name(tls.native_handle(), sni.c_str())) co_return false;
    if (up_tls.verify) tls.set_verify_callback(asio::ssl::host_name_verification(sni));
    auto [hec] = co_await tls.async_handshake(asio::ssl::stream_base::client, kTuple);
    if (hec) co_return false;
    co_return co_await get_ok(tls, c);
}

asio::awaitable<void> run_check(asio::io_context& ioc, std::shared_ptr<HealthChecker::Check> c) {
    while (!c->stopped) {
        bool ok = false;
        try {
            ok = co_await probe(ioc, *c);
        } catch (const std::exception& e) {  // a CA file gone since load: the check fails
            log::warn("health check failed", {{"upstream", c->upstream->name},
                                              {"target", c->target.authority},
                                              {"error", e.what()}});
        }
        if (c->stopped) break;
        c->note(ok);
        c->timer.expires_after(c->spec.interval);
        auto [ec] = co_await c->timer.async_wait(kTuple);
        if (ec) break;
    }
}

}  // namespace

HealthChecker::~HealthChecker() { stop_all(); }

void HealthChecker::stop_all() {
    for (auto& [key, c] : checks_) {
        c->stopped = true;
        c->timer.cancel();
    }
    checks_.clear();
}

void HealthChecker::update(const config::Config& config) {
    std::map<std::string, std::shared_ptr<Check>> next;
    for (const auto& up : config.upstreams) {
        if (!up->health_check) continue;
        for (std::size_t i = 0; i < up->targets.size(); ++i) {
            if (!up->targets[i].state) continue;
            auto c = std::make_shared<Check>(ioc_, up, i);
            next.emplace(up->name + '\n' + up->targets[i].url, c);
            asio::co_spawn(ioc_, run_check(ioc_, c), log::on_exception("health check failed"));
        }
    }
    for (auto& [key, c] : checks_) {
        c->stopped = true;
        c->timer.cancel();
        // No check watches this target any more: traffic must not stay cut off from it.
        if (!next.count(key)) c->target.state->set_healthy(true);
    }
    checks_ = std::move(next);
}

}  // namespace gw::server
