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

private:
    bool started_ = false;
    boost::asio::any_io_executor background_;
    std::vector<Starter> pending_;
};

}  // namespace gw::middleware
