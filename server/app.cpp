#include "server/app.h"

#include <csignal>
#include <thread>

#include <boost/asio/co_spawn.hpp>

#include "server/log.h"
#include "server/tls.h"
#include "stores/redis/worker_clients.h"

namespace gw::server {
namespace {
using tcp = boost::asio::ip::tcp;

tcp::endpoint resolve(boost::asio::io_context& ioc, const config::Endpoint& e) {
    boost::system::error_code ec;
    auto addr = boost::asio::ip::make_address(e.host, ec);
    if (!ec) return {addr, e.port};
    tcp::resolver resolver(ioc);
    return *resolver.resolve(e.host, std::to_string(e.port)).begin();
}

std::string endpoint_str(const tcp::endpoint& ep) {
    auto a = ep.address();
    return (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" +
           std::to_string(ep.port());
}

unsigned worker_count(unsigned configured) {
    if (configured > 0) return configured;
    unsigned n = std::thread::hardware_concurrency();
    return n == 0 ? 1 : n;
}
}  // namespace

App::App(std::string config_path, ConfigPtr config, middleware::Registry& registry)
    : config_path_(std::move(config_path)), registry_(registry) {
    const auto& cfg = *config;
    log::set_level(cfg.log.level);
    unsigned n = worker_count(cfg.server.workers);
    shared_.metrics = std::make_unique<Metrics>(n);
    shared_.metrics->set_extra([&registry](std::string& out) { registry.render_metrics(out); });
    shared_.registry = &registry_;
    shared_.access_log = std::make_shared<AccessLog>(cfg.log.access);
    if (cfg.server.tls) shared_.server_tls = make_server_tls(*cfg.server.tls);
    shared_.config.publish(std::move(config));
    for (unsigned i = 0; i < n; ++i) workers_.push_back(std::make_unique<Worker>(i, shared_));
}

App::~App() {
    for (auto& w : workers_) w->stop();
    for (auto& w : workers_) w->join();
}

void App::bind_listeners(const config::Config& cfg) {
    for (const auto& e : cfg.server.listen) {
        tcp::endpoint ep = resolve(control_, e);
        for (auto& w : workers_) ep = w->listen(ep);  // port 0: the first bind picks it
        log::info("listening", {{"listener", "public"}, {"address", endpoint_str(ep)},
                                {"tls", shared_.server_tls ? "true" : "false"}});
    }
    if (cfg.admin.listen) {
        admin_ = std::make_unique<AdminServer>(control_, resolve(control_, *cfg.admin.listen),
                                               shared_, [this] { return reload(); });
        log::info("listening", {{"listener", "admin"},
                                {"address", endpoint_str(admin_->local_endpoint())}});
    }
}

int App::run() {
    auto cfg = shared_.config.load();
    bind_listeners(*cfg);
    signals_.add(SIGTERM);
    signals_.add(SIGINT);
    signals_.add(SIGHUP);
    watch_signals();
    if (admin_) admin_->start();
    registry_.start(control_.get_executor());
    health_.update(*cfg);
    boost::asio::co_spawn(control_, shared_.dns.refresh_loop(control_),
                          log::on_exception("dns refresh failed"));
    for (auto& w : workers_) w->start();
    log::info("started", {{"workers", std::to_string(workers_.size())},
                          {"config", config_path_}});
    control_.run();
    for (auto& w : workers_) w->stop();
    for (auto& w : workers_) w->join();
    // The control thread's Redis clients (admin cache purge) close their sockets now, while
    // control_ lives; as thread_locals they would go at exit, after control_ is destroyed.
    stores::redis::clear_thread_clients();
    log::info("stopped");
    return 0;
}

void App::watch_signals() {
    signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
        if (ec) return;
        if (sig == SIGHUP) {
            reload();
        } else if (shared_.draining.load()) {
            log::warn("second stop signal: exiting without waiting for the drain");
            control_.stop();
            return;
        } else {
            start_drain();
        }
        watch_signals();
    });
}

std::vector<std::string> App::reload() {
    auto result = config::load_config(config_path_, &registry_);
    if (!result.errors.empty()) {
        shared_.metrics->record_reload(false);
        for (const auto& e : result.errors) log::error("reload refused", {{"error", e}});
        return result.errors;
    }
    auto old = shared_.config.load();
    const auto& next = *result.config;
    if (next.server.listen.size() != old->server.listen.size() ||
        next.server.workers != old->server.workers ||
        next.server.tls.has_value() != old->server.tls.has_value() ||
        next.log.access != old->log.access)
        log::warn("listeners, workers, tls and log.access take effect on restart only");
    log::set_level(next.log.level);
    health_.update(next);
    shared_.config.publish(std::move(result.config));
    shared_.metrics->record_reload(true);
    log::info("config reloaded", {{"config", config_path_}});
    return {};
}

void App::start_drain() {
    if (shared_.draining.exchange(true)) return;
    auto timeout = shared_.config.load()->server.drain_timeout;
    log::info("draining", {{"timeout_ms", std::to_string(timeout.count())}});
    for (auto& w : workers_) w->begin_drain();
    wait_drained(std::chrono::steady_clock::now() + timeout);
}

void App::wait_drained(std::chrono::steady_clock::time_point deadline) {
    if (shared_.connections.load() == 0 || std::chrono::steady_clock::now() >= deadline) {
        if (shared_.connections.load() != 0)
            log::warn("drain timeout: closing open connections",
                      {{"connections", std::to_string(shared_.connections.load())}});
        if (admin_) admin_->close();
        health_.stop_all();
        control_.stop();
        return;
    }
    drain_timer_.expires_after(std::chrono::milliseconds(25));
    drain_timer_.async_wait([this, deadline](const boost::system::error_code& ec) {
        if (!ec) wait_drained(deadline);
    });
}

}  // namespace gw::server
