// A worker: one thread, one io_context, its own acceptors (SO_REUSEPORT), upstream pools,
// balancer and scratch buffers. Everything here except `shared` is touched only by
// the worker's own thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/intrusive/list.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "server/balancer.h"
#include "server/config_store.h"
#include "server/executor.h"
#include "server/shared_state.h"
#include "server/upstream_pool.h"

namespace gw::server {

// Fixed-size relay buffers recycled by the worker: no allocation per proxied request.
class BufferPool {
public:
    static constexpr std::size_t kSize = 16 * 1024;
    struct Deleter {
        BufferPool* pool;
        void operator()(char* p) const { pool->give_back(p); }
    };
    using Handle = std::unique_ptr<char[], Deleter>;
    Handle take();
    ~BufferPool();

private:
    void give_back(char* p);
    std::vector<char*> free_;
};

class Worker {
public:
    Worker(std::size_t index, SharedState& shared);
    Worker(const Worker&) = delete;

    // Binds one acceptor of this worker (SO_REUSEPORT) and returns the bound endpoint, so an
    // ephemeral port 0 chosen by the first worker can be shared by the others. Before start().
    boost::asio::ip::tcp::endpoint listen(const boost::asio::ip::tcp::endpoint& endpoint);
    void start();         // spawns the thread
    void begin_drain();   // thread-safe: posts acceptor close and idle-connection close
    void stop();          // thread-safe: stops the io_context
    void join();

    // For sessions (worker thread only).
    boost::asio::io_context& ioc() { return ioc_; }
    ConfigPtr config() { return view_.get(); }
    SharedState& shared() { return shared_; }
    WorkerMetrics& metrics() { return shared_.metrics->worker(index_); }
    UpstreamPool& pool() { return pool_; }
    BufferPool& buffers() { return buffers_; }
    std::string& log_line() { return log_line_; }
    // The head of a respond: route's answer, built here and written at once (a write the
    // socket does not take whole moves it out; it is cleared before each use).
    std::string& answer_head() { return answer_head_; }
    Balancer& balancer() { return balancer_; }

    // Idle downstream connections register so drain can close them. The entry lives in the
    // waiting session's frame (no allocation per wait); it is removed when the wait ends, and
    // simply dies with a frame destroyed at shutdown (normal_link: nothing touches it then).
    struct IdleEntry : boost::intrusive::list_base_hook<
                           boost::intrusive::link_mode<boost::intrusive::normal_link>> {
        explicit IdleEntry(Socket* s) : socket(s) {}
        Socket* socket;
    };
    void idle_add(IdleEntry& e) { idle_.push_back(e); }
    void idle_remove(IdleEntry& e) { idle_.erase(idle_.iterator_to(e)); }
    bool draining() const { return draining_; }

private:
    Task<void> accept_loop(Acceptor& acceptor);
    Task<void> sweep_loop();
    void close_idle();

    std::size_t index_;
    SharedState& shared_;
    // Declared before ioc_: session frames still suspended when the io_context is destroyed
    // give their buffers back on the way out.
    BufferPool buffers_;
    // One thread runs this context: no locking in its reactor I/O. Posting from other threads
    // (drain, stop) stays safe because the scheduler keeps its lock.
    boost::asio::io_context ioc_{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
    ConfigView view_;
    UpstreamPool pool_{ioc_, &shared_.dns};
    std::string log_line_;
    std::string answer_head_;
    std::vector<std::unique_ptr<Acceptor>> acceptors_;
    Balancer balancer_;
    boost::intrusive::list<IdleEntry, boost::intrusive::constant_time_size<false>> idle_;
    bool draining_ = false;
    Timer sweep_timer_{ioc_};
    Timer accept_backoff_{ioc_};
    std::thread thread_;
};

}  // namespace gw::server
