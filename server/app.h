// The running gateway: workers, the control thread (signals, admin, reload) and drain.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "middleware/registry.h"
#include "server/admin.h"
#include "server/health_checker.h"
#include "server/shared_state.h"
#include "server/worker.h"

namespace gw::server {

class App {
public:
    // registry: the one the config was loaded with; reloads use it too. Outlives the App.
    App(std::string config_path, ConfigPtr config, middleware::Registry& registry);
    ~App();
    // Binds, serves until SIGTERM/SIGINT has drained, returns the exit code.
    int run();

private:
    std::vector<std::string> reload();
    void start_drain();
    void wait_drained(std::chrono::steady_clock::time_point deadline);
    void bind_listeners(const config::Config& cfg);
    void watch_signals();

    std::string config_path_;
    middleware::Registry& registry_;
    SharedState shared_;
    boost::asio::io_context control_{1};
    boost::asio::signal_set signals_{control_};
    boost::asio::steady_timer drain_timer_{control_};
    std::vector<std::unique_ptr<Worker>> workers_;
    std::unique_ptr<AdminServer> admin_;
    HealthChecker health_{control_};  // checks run on the control thread
};

}  // namespace gw::server
