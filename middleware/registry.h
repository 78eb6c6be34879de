// Process-lifetime state that outlives configuration snapshots, for the steps compiled from
// them: rate-limit counters, JWKS key sets, token caches, cache stores, Redis clients. A reload
// compiles new steps that look their state up here by identity (e.g. a JWKS URL), so what did
// not change keeps its state.
//
// Threads: loads (the first one in main, reloads on the control thread) run one at a time and
// are the only callers of the mutating functions. The objects handed out are shared with worker
// threads and are thread-safe themselves; each says how.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <typeindex>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

namespace gw::middleware {

class Registry {
public:
    using Starter = std::function<void(const boost::asio::any_io_executor&)>;

    // Background work (key refreshes, token fetches, health checks) runs on the control
    // thread's executor, which exists only once the server runs: `gateway --check` and unit
    // tests never start it, so loading stays free of network I/O.
    void start(const boost::asio::any_io_executor& background);
    bool started() const { return started_; }
    const boost::asio::any_io_executor& background() const { return background_; }
    // Runs fn with the background executor now when started, else at start().
    void on_start(Starter fn);

    // The object of type T kept under `key`, made (default-constructed) on first use: state a
    // reload must keep, e.g. the auth failure counters. Loads only.
    template <class T>
    std::shared_ptr<T> state(const std::string& key) {
        auto& slot = states_[{std::type_index(typeid(T)), key}];
        if (!slot) slot = std::make_shared<T>();
        return std::static_pointer_cast<T>(slot);
    }

    // Prometheus text that steps' state adds to /metrics. Sources are added during loads;
    // render_metrics runs on the control thread (the admin endpoint), like the loads.
    using MetricsSource = std::function<void(std::string&)>;
    void add_metrics(const std::string& key, MetricsSource fn);
    void render_metrics(std::string& out) const;

private:
    bool started_ = false;
    boost::asio::any_io_executor background_;
    std::vector<Starter> pending_;
    std::map<std::pair<std::type_index, std::string>, std::shared_ptr<void>> states_;
    std::map<std::string, MetricsSource> metrics_;  // by key: added once, whatever the reloads
};

}  // namespace gw::middleware
