// The auth step's outcomes (first ok wins, 401/503 rules, challenges), identity headers and
// credential stripping; the allow step; counters.
#include <catch.hpp>

#include "auth_test_util.h"
#include "middleware/auth/allow_step.h"
#include "middleware/auth/api_key_authenticator.h"
#include "middleware/auth/auth_step.h"

namespace gw::middleware::auth {
namespace {

// Answers a fixed result and records that it was asked; strip removes "x-fake-<name>".
class FakeAuth : public Authenticator {
public:
    FakeAuth(std::string name, AuthResult result) : name_(std::move(name)), result_(result) {}
    std::string_view name() const override { return name_; }
    std::string_view challenge() const override { return name_; }
    Task<AuthResult> authenticate(const RequestContext&, const RequestHead&) const override {
        ++asked;
        co_return result_;
    }
    void strip_credential(RequestHead& req, std::string&) const override {
        req.erase("x-fake-" + name_);
    }
    mutable int asked = 0;

private:
    std::string name_;
    AuthResult result_;
};

AuthResult result(AuthResult::Status s, std::string_view code = {}) {
    AuthResult r;
    r.status = s;
    r.code = code;
    return r;
}

AuthResult jwt_ok(std::string subject, std::vector<std::string> scopes) {
    AuthResult r = result(AuthResult::Status::ok);
    r.subject = std::move(subject);
    r.scopes = std::move(scopes);
    return r;
}

// The identity holds views into the step's authenticators and consumers: the run keeps the step.
struct Run {
    std::shared_ptr<AuthStep> step;
    std::optional<Reply> reply;
    RequestContext ctx;
    RequestHead req;
};

Run run_step(std::vector<std::shared_ptr<FakeAuth>> auths, bool forward = false) {
    AuthStepConfig config;
    for (auto& a : auths) config.authenticators.push_back(a);
    config.consumers = test::sample_consumers();
    config.forward_credentials = forward;
    config.failures = std::make_shared<RouteFailures>();
    auto failures = config.failures;
    Run r;
    r.step = std::make_shared<AuthStep>(std::move(config));
    r.req.set("x-fake-a", "1");
    r.req.set("x-fake-b", "1");
    r.reply = test::run(r.step->on_request(r.ctx, r.req));
    if (r.reply) CHECK(failures->get(r.reply->code) == 1);
    return r;
}

using S = AuthResult::Status;

}  // namespace

TEST_CASE("auth: nothing presented gives 401 missing_credentials with every challenge",
          "[auth][step]") {
    auto r = run_step({std::make_shared<FakeAuth>("a", result(S::absent)),
                       std::make_shared<FakeAuth>("b", result(S::absent))});
    REQUIRE(r.reply);
    CHECK(r.reply->status == 401);
    CHECK(r.reply->code == "missing_credentials");
    REQUIRE(r.reply->headers.size() == 1);
    CHECK(r.reply->headers[0] == std::pair<std::string, std::string>{"www-authenticate", "a, b"});
    CHECK_FALSE(r.ctx.identity.authenticated);
}

TEST_CASE("auth: a refusal's code is the answer unless a later one succeeds", "[auth][step]") {
    auto r = run_step({std::make_shared<FakeAuth>("a", result(S::failed, "token_expired")),
                       std::make_shared<FakeAuth>("b", result(S::absent))});
    REQUIRE(r.reply);
    CHECK(r.reply->status == 401);
    CHECK(r.reply->code == "token_expired");
    AuthResult ok = result(S::ok);
    ok.consumer = "ops";
    auto later = run_step({std::make_shared<FakeAuth>("a", result(S::failed, "invalid_token")),
                           std::make_shared<FakeAuth>("b", ok)});
    CHECK_FALSE(later.reply);
    CHECK(later.ctx.identity.consumer == "ops");
    CHECK(later.ctx.identity.authenticator == "b");
}

TEST_CASE("auth: unavailable gives 503 when none succeeded", "[auth][step]") {
    auto r = run_step({std::make_shared<FakeAuth>("a", result(S::failed, "invalid_credentials")),
                       std::make_shared<FakeAuth>("b", result(S::unavailable))});
    REQUIRE(r.reply);
    CHECK(r.reply->status == 503);
    CHECK(r.reply->code == "auth_unavailable");
}

TEST_CASE("auth: the first ok wins, later authenticators are not asked", "[auth][step]") {
    AuthResult ok = result(S::ok);
    ok.consumer = "billing";
    auto a = std::make_shared<FakeAuth>("a", ok);
    auto b = std::make_shared<FakeAuth>("b", result(S::failed, "invalid_token"));
    auto r = run_step({a, b});
    CHECK_FALSE(r.reply);
    CHECK(b->asked == 0);
    CHECK(r.ctx.identity.authenticated);
    CHECK(r.ctx.identity.groups == std::vector<std::string>{"internal"});
    CHECK(r.req["x-consumer-name"] == "billing");
    CHECK(r.req.count("x-auth-subject") == 0);
    // Every authenticator's credential is kept from the upstream.
    CHECK(r.req.count("x-fake-a") == 0);
    CHECK(r.req.count("x-fake-b") == 0);
}

TEST_CASE("auth: forward_credentials keeps the caller's credentials", "[auth][step]") {
    AuthResult ok = result(S::ok);
    ok.consumer = "billing";
    auto r = run_step({std::make_shared<FakeAuth>("a", ok)}, true);
    CHECK_FALSE(r.reply);
    CHECK(r.req["x-fake-a"] == "1");
}

TEST_CASE("auth: a JWT subject maps to its consumer", "[auth][step]") {
    auto r = run_step({std::make_shared<FakeAuth>("a", jwt_ok("mobile-sub", {"orders:read"}))});
    CHECK_FALSE(r.reply);
    CHECK(r.ctx.identity.consumer == "mobile");
    CHECK(r.ctx.identity.subject == "mobile-sub");
    CHECK(r.ctx.identity.groups == std::vector<std::string>{"apps"});
    CHECK(r.req["x-consumer-name"] == "mobile");
    CHECK(r.req["x-auth-subject"] == "mobile-sub");
    // An unknown subject still authenticates, as no consumer.
    auto other = run_step({std::make_shared<FakeAuth>("a", jwt_ok("someone", {}))});
    CHECK_FALSE(other.reply);
    CHECK(other.ctx.identity.consumer.empty());
    CHECK(other.req.count("x-consumer-name") == 0);
    CHECK(other.req["x-auth-subject"] == "someone");
    // A subject that would split the upstream head is not passed on.
    auto evil = run_step({std::make_shared<FakeAuth>("a", jwt_ok("x\r\nx-admin: 1", {}))});
    CHECK_FALSE(evil.reply);
    CHECK(evil.req.count("x-auth-subject") == 0);
}

TEST_CASE("identity headers sent by a client are removed", "[auth][step]") {
    RequestHead req;
    req.set("x-consumer-name", "admin");
    req.set("X-Auth-Subject", "root");
    req.set("x-other", "kept");
    remove_identity_headers(req);
    CHECK(req.count("x-consumer-name") == 0);
    CHECK(req.count("x-auth-subject") == 0);
    CHECK(req["x-other"] == "kept");
}

TEST_CASE("allow: consumers, groups or scopes; one match is enough", "[auth][allow]") {
    AllowConfig allow{{"billing"}, {"admins"}, {"orders:read"}, nullptr};
    Identity id;
    id.authenticated = true;
    id.consumer = "billing";
    CHECK(is_allowed(allow, id));
    id.consumer = "mobile";
    CHECK_FALSE(is_allowed(allow, id));
    id.groups = {"apps", "admins"};
    CHECK(is_allowed(allow, id));
    id.groups.clear();
    id.scopes = {"orders:write", "orders:read"};
    CHECK(is_allowed(allow, id));
    id.scopes = {"orders:write"};
    CHECK_FALSE(is_allowed(allow, id));
    Identity anonymous;
    anonymous.consumer = "billing";  // not authenticated: never allowed
    CHECK_FALSE(is_allowed(allow, anonymous));
}

TEST_CASE("allow step: 403 forbidden and counted", "[auth][allow]") {
    auto failures = std::make_shared<RouteFailures>();
    AllowStep step(AllowConfig{{"billing"}, {}, {}, failures});
    RequestContext ctx;
    RequestHead req;
    ctx.identity.authenticated = true;
    ctx.identity.consumer = "mobile";
    auto reply = test::run(step.on_request(ctx, req));
    REQUIRE(reply);
    CHECK(reply->status == 403);
    CHECK(reply->code == "forbidden");
    CHECK(failures->get("forbidden") == 1);
    ctx.identity.consumer = "billing";
    CHECK_FALSE(test::run(step.on_request(ctx, req)));
    CHECK(failures->get("forbidden") == 1);
}

TEST_CASE("failure counters render by route and reason", "[auth][metrics]") {
    FailureCounters counters;
    auto a = counters.for_route("orders");
    CHECK(counters.for_route("orders") == a);  // a reload gets the same counts
    a->add("missing_credentials");
    a->add("missing_credentials");
    a->add("some_new_code");
    counters.for_route("quiet\"route");
    std::string out;
    counters.render(out);
    CHECK(out.find("# TYPE gateway_auth_failures_total counter\n") != std::string::npos);
    CHECK(out.find("gateway_auth_failures_total{route=\"orders\",reason=\"missing_credentials\"}"
                   " 2\n") != std::string::npos);
    CHECK(out.find("gateway_auth_failures_total{route=\"orders\",reason=\"other\"} 1\n") !=
          std::string::npos);
    CHECK(out.find("quiet") == std::string::npos);  // zero counts are left out
}

}  // namespace gw::middleware::auth
