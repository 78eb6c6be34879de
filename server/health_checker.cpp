#include "server/health_checker.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>

#include "server/http_client.h"
#include "server/log.h"
#include "server/stream_ops.h"
#include "server/target_state.h"

namespace gw::server {

namespace {
// A check that has not answered within this (or its interval, when shorter) has failed.
constexpr config::Duration kMaxCheckTime = std::chrono::seconds(10);
constexpr std::size_t kMaxCheckBody = 64 * 1024;
}  // namespace

struct HealthChecker::Check {
    Check(asio::io_context& ioc, std::shared_ptr<const config::Upstream> up, std::size_t index)
        : upstream(std::move(up)), target(upstream->targets[index]),
          spec(*upstream->health_check), timer(ioc) {}

    std::shared_ptr<const config::Upstream> upstream;  // pins target and spec
    const config::Target& target;
    const config::HealthCheck& spec;
    asio::steady_timer timer;
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

// GET path on the target (through the gateway's one-shot client, Connection: close, with the
// upstream's TLS settings): a 2xx is healthy.
asio::awaitable<bool> probe(asio::io_context& ioc, const HealthChecker::Check& c) {
    FetchRequest req;
    req.url = (c.target.tls ? "https://" : "http://") + c.target.authority + c.spec.path;
    req.headers = {{"user-agent", "gateway-health-check"}};
    req.timeout = c.timeout();
    req.tls = c.upstream->tls;
    req.max_body = kMaxCheckBody;
    FetchResult r = co_await fetch(ioc.get_executor(), std::move(req));
    co_return r.ok() && r.response.status >= 200 && r.response.status < 300;
}

asio::awaitable<void> run_check(asio::io_context& ioc, std::shared_ptr<HealthChecker::Check> c) {
    while (!c->stopped) {
        bool ok = false;
        try {
            ok = co_await probe(ioc, *c);
        } catch (const std::exception& e) {  // whatever goes wrong, the check failed
            log::warn("health check failed", {{"upstream", c->upstream->name},
                                              {"target", c->target.authority},
                                              {"error", e.what()}});
        }
        if (c->stopped) break;
        c->note(ok);
        c->timer.expires_after(c->spec.interval);
        auto [ec] = co_await c->timer.async_wait(kErasedTuple);
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
