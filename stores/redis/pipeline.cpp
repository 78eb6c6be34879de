#include "stores/redis/pipeline.h"

#include <hiredis/hiredis.h>

#include <charconv>

namespace gw::stores::redis {
namespace {

struct ReplyFree {
    void operator()(void* r) const { freeReplyObject(r); }
};

}  // namespace

// RESP by hand rather than redisFormatCommandArgv: hiredis formats every length with
// sprintf and mallocs a buffer per command, about 5,500 instructions a rate-limit decision
// (8% of the whole request, callgrind); this appends in place with to_chars.
void format_command(std::span<const std::string_view> args, std::string& out) {
    std::size_t size = 16;
    for (auto a : args) size += a.size() + 16;  // "$<len>\r\n<bytes>\r\n"
    out.reserve(out.size() + size);
    char num[24];
    auto append_header = [&](char kind, std::size_t n) {
        out += kind;
        out.append(num, std::to_chars(num, num + sizeof num, n).ptr);
        out += "\r\n";
    };
    append_header('*', args.size());
    for (auto a : args) {
        append_header('$', a.size());
        out.append(a);
        out += "\r\n";
    }
}

Pipeline::Pipeline() : reader_(redisReaderCreate()) {
    if (reader_ == nullptr) throw std::bad_alloc();
}

Pipeline::~Pipeline() { redisReaderFree(reader_); }

void Pipeline::push(PendingPtr command, std::span<const std::string_view> args) {
    format_command(args, out_);
    waiting_.push_back(std::move(command));
}

void Pipeline::take_output(std::string& into) {
    into.clear();
    std::swap(into, out_);  // both buffers keep their capacity across rounds
}

void Pipeline::feed(const char* data, std::size_t n) {
    // Fails only when out of memory, or after an earlier protocol error, which next_reply
    // reports.
    redisReaderFeed(reader_, data, n);
}

std::optional<RedisReply> Pipeline::next_reply(bool& error) {
    void* raw = nullptr;
    if (redisReaderGetReply(reader_, &raw) != REDIS_OK) {
        error = true;
        return std::nullopt;
    }
    if (raw == nullptr) return std::nullopt;
    std::unique_ptr<void, ReplyFree> owned(raw);
    return to_reply(*static_cast<redisReply*>(raw));
}

bool Pipeline::deliver() {
    bool error = false;
    while (auto reply = next_reply(error)) {
        if (waiting_.empty()) return false;
        PendingPtr command = std::move(waiting_.front());
        waiting_.pop_front();
        command->complete(std::move(*reply));
    }
    return !error;
}

void Pipeline::fail_all(Errc ec) {
    auto waiting = std::move(waiting_);
    waiting_.clear();
    for (auto& c : waiting) c->complete(RedisReply::failure(ec));
    out_.clear();
    // A fresh parser: a half-read reply from the old connection must not prefix the next.
    redisReaderFree(reader_);
    reader_ = redisReaderCreate();
    if (reader_ == nullptr) throw std::bad_alloc();
}

}  // namespace gw::stores::redis
