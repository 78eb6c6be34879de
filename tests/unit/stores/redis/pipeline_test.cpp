// The pipeline without sockets: RESP formatting, reply parsing (whole and in pieces), replies
// handed to waiting commands in order, protocol errors, failing everything.
#include <catch.hpp>

#include <boost/asio/io_context.hpp>

#include "stores/redis/pipeline.h"

using namespace gw::stores::redis;

namespace {

struct Fixture {
    boost::asio::io_context io;
    Pipeline pipeline;
    PendingPtr push(std::initializer_list<std::string_view> args) {
        auto c = std::make_shared<PendingCommand>(io.get_executor());
        pipeline.push(c, std::span<const std::string_view>(args.begin(), args.size()));
        return c;
    }
    void feed(std::string_view bytes) { pipeline.feed(bytes.data(), bytes.size()); }
};

}  // namespace

TEST_CASE("format_command writes RESP arrays of bulk strings", "[redis][pipeline]") {
    std::string out;
    std::array<std::string_view, 3> args{"SET", "k", std::string_view("a\0b", 3)};
    format_command(args, out);
    CHECK(out == std::string("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\na\0b\r\n", 29));
}

TEST_CASE("commands are written back to back", "[redis][pipeline]") {
    Fixture f;
    f.push({"PING"});
    f.push({"GET", "x"});
    std::string out;
    f.pipeline.take_output(out);
    CHECK(out == "*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nx\r\n");
    CHECK_FALSE(f.pipeline.has_output());
    CHECK(f.pipeline.waiting() == 2);
}

TEST_CASE("replies complete commands in order, across split reads", "[redis][pipeline]") {
    Fixture f;
    auto a = f.push({"PING"});
    auto b = f.push({"GET", "x"});
    auto c = f.push({"INCR", "n"});
    auto d = f.push({"LRANGE", "l", "0", "-1"});
    auto e = f.push({"GET", "missing"});
    auto g = f.push({"EVALSHA", "abc", "0"});
    const std::string stream = "+PONG\r\n$5\r\nhello\r\n:42\r\n*2\r\n$1\r\na\r\n:7\r\n$-1\r\n"
                               "-NOSCRIPT No matching script\r\n";
    // One byte at a time: the parser keeps partial replies between reads.
    for (char ch : stream) {
        f.feed(std::string_view(&ch, 1));
        REQUIRE(f.pipeline.deliver());
    }
    REQUIRE(a->done);
    CHECK(a->reply.type == RedisReply::Type::status);
    CHECK(a->reply.str == "PONG");
    CHECK(b->reply.type == RedisReply::Type::string);
    CHECK(b->reply.str == "hello");
    CHECK(c->reply.type == RedisReply::Type::integer);
    CHECK(c->reply.integer == 42);
    REQUIRE(d->reply.type == RedisReply::Type::array);
    REQUIRE(d->reply.elements.size() == 2);
    CHECK(d->reply.elements[0].str == "a");
    CHECK(d->reply.elements[1].integer == 7);
    CHECK(e->reply.type == RedisReply::Type::nil);
    CHECK_FALSE(e->reply.failed());
    CHECK(g->reply.is_error("NOSCRIPT"));
    CHECK(g->reply.failed());
    CHECK(f.pipeline.waiting() == 0);
}

TEST_CASE("a partial reply completes nothing yet", "[redis][pipeline]") {
    Fixture f;
    auto a = f.push({"GET", "x"});
    f.feed("$5\r\nhel");
    REQUIRE(f.pipeline.deliver());
    CHECK_FALSE(a->done);
    f.feed("lo\r\n");
    REQUIRE(f.pipeline.deliver());
    CHECK(a->done);
    CHECK(a->reply.str == "hello");
}

TEST_CASE("a timed-out command's late reply is dropped in order", "[redis][pipeline]") {
    Fixture f;
    auto a = f.push({"GET", "a"});
    auto b = f.push({"GET", "b"});
    a->complete(RedisReply::failure(Errc::timeout));
    f.feed("$1\r\nA\r\n$1\r\nB\r\n");
    REQUIRE(f.pipeline.deliver());
    CHECK(a->reply.ec == make_error_code(Errc::timeout));
    CHECK(b->reply.str == "B");
}

TEST_CASE("protocol errors and unexpected replies are reported", "[redis][pipeline]") {
    Fixture f;
    auto a = f.push({"PING"});
    f.feed("?garbage\r\n");
    CHECK_FALSE(f.pipeline.deliver());
    CHECK_FALSE(a->done);
    f.pipeline.fail_all(Errc::protocol);
    CHECK(a->reply.ec == make_error_code(Errc::protocol));
    // A fresh parser after fail_all; a reply with no command waiting is an error too.
    f.feed("+OK\r\n");
    CHECK_FALSE(f.pipeline.deliver());
}

TEST_CASE("fail_all completes every waiting command and drops unsent bytes", "[redis][pipeline]") {
    Fixture f;
    auto a = f.push({"PING"});
    auto b = f.push({"PING"});
    f.pipeline.fail_all(Errc::disconnected);
    CHECK(a->done);
    CHECK(b->done);
    CHECK(b->reply.ec == make_error_code(Errc::disconnected));
    CHECK(reason(b->reply.ec) == "disconnected");
    CHECK_FALSE(f.pipeline.has_output());
    CHECK(f.pipeline.waiting() == 0);
}
