// The step chain: order, the first reply ending it, and the way-out hooks and queued headers.
#include <catch.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "middleware/chain.h"

namespace gw::middleware {
namespace {

// Records its name in the request head when run; answers when `status` is set.
class FakeStep : public Step {
public:
    FakeStep(std::string name, unsigned status = 0) : name_(std::move(name)), status_(status) {}
    std::string_view name() const override { return name_; }
    Task<std::optional<Reply>> on_request(RequestContext& ctx, RequestHead& req) const override {
        std::string seen(req["x-steps"]);
        req.set("x-steps", seen + name_ + ";");
        if (status_ == 0) co_return std::nullopt;
        ctx.response_headers.emplace_back("retry-after", "7");
        co_return Reply::error(status_, "refused_by_" + name_, "no");
    }
    void on_response(RequestContext&, ResponseHead& res) const override {
        res.set("x-out-" + name_, "1");
    }

private:
    std::string name_;
    unsigned status_;
};

std::optional<Reply> run(RequestContext& ctx, RequestHead& req) {
    boost::asio::io_context ioc;
    auto f = boost::asio::co_spawn(ioc, run_request_steps(ctx, req), boost::asio::use_future);
    ioc.run();
    return f.get();
}

struct Fixture {
    routes::CompiledRoute route;
    RequestContext ctx;
    RequestHead req;
    explicit Fixture(std::vector<StepPtr> steps) {
        route.spec.steps.assign(steps.begin(), steps.end());
        ctx.match.status = routes::MatchStatus::found;
        ctx.match.route = &route;
    }
};

}  // namespace

TEST_CASE("steps run in order until one replies", "[middleware][chain]") {
    Fixture f({std::make_shared<FakeStep>("ip"), std::make_shared<FakeStep>("auth", 401),
               std::make_shared<FakeStep>("rate_limit")});
    auto reply = run(f.ctx, f.req);
    REQUIRE(reply);
    CHECK(reply->status == 401);
    CHECK(reply->code == "refused_by_auth");
    CHECK(f.req["x-steps"] == "ip;auth;");  // rate_limit never ran
}

TEST_CASE("a chain where no step replies lets the request go on", "[middleware][chain]") {
    Fixture f({std::make_shared<FakeStep>("ip"), std::make_shared<FakeStep>("allow")});
    CHECK_FALSE(run(f.ctx, f.req));
    CHECK(f.req["x-steps"] == "ip;allow;");
}

TEST_CASE("response steps run their hooks and add the queued headers", "[middleware][chain]") {
    Fixture f({std::make_shared<FakeStep>("a"), std::make_shared<FakeStep>("b")});
    f.ctx.response_headers.emplace_back("ratelimit-limit", "10");
    ResponseHead res;
    res.set("ratelimit-limit", "999");  // a queued header replaces the upstream's
    run_response_steps(f.ctx, res);
    CHECK(res["x-out-a"] == "1");
    CHECK(res["x-out-b"] == "1");
    CHECK(res["ratelimit-limit"] == "10");
}

TEST_CASE("response steps do nothing without a route", "[middleware][chain]") {
    RequestContext ctx;
    ctx.response_headers.emplace_back("x-cache", "HIT");
    ResponseHead res;
    run_response_steps(ctx, res);
    CHECK(res.count("x-cache") == 0);
}

}  // namespace gw::middleware

namespace gw::middleware {
namespace {

// Decides at once: try_request_steps runs it without a coroutine.
class FakeSyncStep : public SyncStep {
public:
    FakeSyncStep(std::string name, unsigned status = 0) : name_(std::move(name)), status_(status) {}
    std::string_view name() const override { return name_; }
    std::optional<Reply> decide(RequestContext&, RequestHead& req) const override {
        std::string seen(req["x-steps"]);
        req.set("x-steps", seen + name_ + ";");
        if (status_ == 0) return std::nullopt;
        return Reply::error(status_, "refused_by_" + name_, "no");
    }

private:
    std::string name_;
    unsigned status_;
};

}  // namespace

TEST_CASE("steps that decide at once need no coroutine", "[middleware][chain]") {
    Fixture f({std::make_shared<FakeSyncStep>("ip"), std::make_shared<FakeSyncStep>("cors")});
    auto so_far = try_request_steps(f.ctx, f.req);
    CHECK(so_far.done);
    CHECK_FALSE(so_far.reply);
    CHECK(f.req["x-steps"] == "ip;cors;");

    Fixture g({std::make_shared<FakeSyncStep>("ip", 403), std::make_shared<FakeStep>("auth")});
    so_far = try_request_steps(g.ctx, g.req);
    CHECK(so_far.done);
    REQUIRE(so_far.reply);
    CHECK(so_far.reply->code == "refused_by_ip");
    CHECK(g.req["x-steps"] == "ip;");
}

TEST_CASE("the chain stops at the first step that must wait and goes on from there",
          "[middleware][chain]") {
    Fixture f({std::make_shared<FakeSyncStep>("ip"), std::make_shared<FakeStep>("auth"),
               std::make_shared<FakeSyncStep>("allow", 403)});
    auto so_far = try_request_steps(f.ctx, f.req);
    CHECK_FALSE(so_far.done);
    CHECK(so_far.next == 1);
    CHECK(f.req["x-steps"] == "ip;");  // auth has not run yet
    boost::asio::io_context ioc;
    auto fut = boost::asio::co_spawn(ioc, run_request_steps(f.ctx, f.req, so_far.next),
                                     boost::asio::use_future);
    ioc.run();
    auto reply = fut.get();
    REQUIRE(reply);
    CHECK(reply->code == "refused_by_allow");
    CHECK(f.req["x-steps"] == "ip;auth;allow;");  // each step ran once
}

}  // namespace gw::middleware
