// Active health checks: one GET of health_check.path per target and interval, all run on the
// control thread (one prober for the whole process, so N workers do not multiply the checks),
// results published through TargetState::set_healthy for every worker to read.
//
// Threads: update() and the checks run on the control thread only (update may also be called
// before that thread runs, at start); no locks.
#pragma once

#include <map>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include "config/config.h"

namespace gw::server {

class HealthChecker {
public:
    explicit HealthChecker(boost::asio::io_context& control) : ioc_(control) {}
    ~HealthChecker();

    // With each new snapshot: checks start for its targets with a health_check; the checks
    // of the previous snapshot stop (a target left without one is healthy again).
    void update(const config::Config& config);
    void stop_all();

    struct Check;  // one target's check loop (health_checker.cpp)

private:
    boost::asio::io_context& ioc_;
    std::map<std::string, std::shared_ptr<Check>> checks_;  // "upstream\nurl" -> check
};

}  // namespace gw::server
