// The I/O-free half of a Redis connection: commands formatted back to back into one output
// buffer, and replies parsed by hiredis' redisReader and handed, in order, to the commands
// waiting for them (Redis answers one connection's commands strictly in the order sent).
// Owned by one Connection, used on its worker thread only.
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "stores/redis/reply.h"

struct redisReader;  // hiredis

namespace gw::stores::redis {

// One command in flight. Its waiter sleeps on `timer` (set to the command's deadline); the
// pipeline completes it by storing the reply and cancelling the timer, so an answer and a
// timeout are both just the timer's wake-up. Shared by the waiter and the pipeline, which may
// outlive one another (a timed-out waiter leaves; a dropped connection fails its commands).
struct PendingCommand {
    explicit PendingCommand(const boost::asio::any_io_executor& ex) : timer(ex) {}
    boost::asio::steady_timer timer;
    RedisReply reply;
    bool done = false;

    void complete(RedisReply r) {
        if (done) return;  // timed out already: the late answer is dropped
        reply = std::move(r);
        done = true;
        timer.cancel();
    }
};

using PendingPtr = std::shared_ptr<PendingCommand>;

// Appends `args` as one RESP command (redisFormatCommandArgv) to `out`.
void format_command(std::span<const std::string_view> args, std::string& out);

class Pipeline {
public:
    Pipeline();
    ~Pipeline();
    Pipeline(const Pipeline&) = delete;
    Pipeline& operator=(const Pipeline&) = delete;

    // Queues a command: its bytes go to the output, the command to the reply queue.
    void push(PendingPtr command, std::span<const std::string_view> args);
    // Bytes waiting to be written; the writer swaps them out (take_output) and writes them.
    bool has_output() const { return !out_.empty(); }
    void take_output(std::string& into);
    std::size_t waiting() const { return waiting_.size(); }

    // Feeds bytes read from the socket to the parser.
    void feed(const char* data, std::size_t n);
    // The next complete reply, if any; sets `error` on a protocol error.
    std::optional<RedisReply> next_reply(bool& error);
    // Completes waiting commands with the replies fed so far. False on a protocol error or a
    // reply nobody waits for: the connection can no longer be trusted.
    bool deliver();
    // Completes every waiting command with `ec`, drops unsent output and parser state.
    void fail_all(Errc ec);

private:
    redisReader* reader_;
    std::string out_;
    std::deque<PendingPtr> waiting_;
};

}  // namespace gw::stores::redis
