// upstreams.*.retry, circuit_breaker and health_check: what they compile to, what is refused.
#include <catch.hpp>

#include "config/config.h"
#include "middleware/registry.h"
#include "server/target_state.h"
#include "test_files.h"

using namespace gw::config;
using namespace std::chrono_literals;
using gw::config::test::joined;
using gw::config::test::TempDir;

namespace {

const std::string kHead =
    "server: { listen: \"127.0.0.1:0\" }\n"
    "upstreams:\n"
    "  crm:\n"
    "    targets: [{ url: \"http://a:1\" }, { url: \"http://b:1\" }]\n";

LoadResult load_upstream(const TempDir& dir, const std::string& extra, std::string& file,
                         gw::middleware::Registry* registry = nullptr) {
    file = dir.write("gateway.yaml", kHead + extra);
    return load_config(file, registry);
}

}  // namespace

TEST_CASE("resilience sections compile", "[config][resilience]") {
    TempDir dir;
    std::string f;
    auto r = load_upstream(dir,
                           "    retry: { attempts: 3, on: [reset, timeout, 503, 429],\n"
                           "             backoff: 20ms, methods: [get, post],\n"
                           "             per_try_timeout: 2s }\n"
                           "    circuit_breaker: { consecutive_failures: 4, open_for: 5s }\n"
                           "    health_check: { path: /health, interval: 1s,\n"
                           "                    unhealthy_after: 2, healthy_after: 3 }\n",
                           f);
    INFO(joined(r.errors));
    REQUIRE(r.config);
    const Upstream& up = *r.config->upstreams.at(0);
    CHECK(up.retry.attempts == 3);
    CHECK_FALSE(up.retry.on_connect_failure);
    CHECK(up.retry.on_reset);
    CHECK(up.retry.on_timeout);
    CHECK(up.retry.statuses == std::vector<unsigned>{503, 429});
    CHECK(up.retry.backoff == 20ms);
    CHECK(up.retry.methods == std::vector<std::string>{"GET", "POST"});
    CHECK(up.retry.per_try_timeout == Duration(2000));
    REQUIRE(up.circuit_breaker);
    CHECK(up.circuit_breaker->consecutive_failures == 4);
    CHECK(up.circuit_breaker->open_for == 5s);
    REQUIRE(up.health_check);
    CHECK(up.health_check->path == "/health");
    CHECK(up.health_check->interval == 1s);
    CHECK(up.health_check->unhealthy_after == 2);
    CHECK(up.health_check->healthy_after == 3);
    CHECK(up.targets[0].state);
    CHECK(up.targets[0].state != up.targets[1].state);
}

TEST_CASE("retry defaults: idempotent methods, connect failures, resets, 502-504",
          "[config][resilience]") {
    TempDir dir;
    std::string f;
    auto r = load_upstream(dir, "    retry: { attempts: 2 }\n", f);
    INFO(joined(r.errors));
    REQUIRE(r.config);
    const auto& retry = r.config->upstreams.at(0)->retry;
    CHECK(retry.on_connect_failure);
    CHECK(retry.on_reset);
    CHECK_FALSE(retry.on_timeout);
    CHECK(retry.statuses == std::vector<unsigned>{502, 503, 504});
    CHECK(retry.methods == std::vector<std::string>{"GET", "HEAD", "OPTIONS", "PUT", "DELETE"});
    CHECK(retry.backoff == 50ms);
    CHECK_FALSE(r.config->upstreams.at(0)->circuit_breaker);
    CHECK_FALSE(r.config->upstreams.at(0)->health_check);
}

TEST_CASE("a reload keeps the state of unchanged targets", "[config][resilience]") {
    TempDir dir;
    gw::middleware::Registry registry;
    std::string f;
    auto first = load_upstream(dir, "", f, &registry);
    REQUIRE(first.config);
    auto second = load_upstream(dir, "    balance: random\n", f, &registry);
    REQUIRE(second.config);
    CHECK(first.config->upstreams[0]->targets[1].state ==
          second.config->upstreams[0]->targets[1].state);
}

TEST_CASE("resilience errors name file:line:col and the key", "[config][resilience]") {
    TempDir dir;
    std::string f;
    auto r = load_upstream(dir,
                           "    retry: { attempts: 0, on: [reset, 200, sometimes], "
                           "backoff: 5, tries: 2 }\n"
                           "    circuit_breaker: { consecutive_failures: 0, open_for: 0s }\n"
                           "    health_check: { path: healthz, interval: 1, "
                           "unhealthy_after: x }\n",
                           f);
    INFO(joined(r.errors));
    CHECK(r.config == nullptr);
    REQUIRE(r.errors.size() == 10);
    CHECK(r.errors[0] == f + ":5:68: upstreams.crm.retry.tries: unknown key");
    CHECK(r.errors[1] == f + ":5:24: upstreams.crm.retry.attempts: expected an integer 1..10, "
                             "got '0'");
    CHECK(r.errors[2] == f + ":5:39: upstreams.crm.retry.on[1]: expected connect_failure, "
                             "reset, timeout or a status 400..599, got '200'");
    CHECK(r.errors[3] == f + ":5:44: upstreams.crm.retry.on[2]: expected connect_failure, "
                             "reset, timeout or a status 400..599, got 'sometimes'");
    CHECK(r.errors[4] == f + ":5:65: upstreams.crm.retry.backoff: expected a duration like "
                             "250ms, 5s, 10m or 1h, got '5'");
    CHECK(r.errors[5] == f + ":6:46: upstreams.crm.circuit_breaker.consecutive_failures: "
                             "expected an integer 1..1000, got '0'");
    CHECK(r.errors[6] == f + ":6:59: upstreams.crm.circuit_breaker.open_for: must be greater "
                             "than 0");
    CHECK(r.errors[7] == f + ":7:27: upstreams.crm.health_check.path: expected a path starting "
                             "with '/', got 'healthz'");
    CHECK(r.errors[8] == f + ":7:46: upstreams.crm.health_check.interval: expected a duration "
                             "like 250ms, 5s, 10m or 1h, got '1'");
    CHECK(r.errors[9] == f + ":7:66: upstreams.crm.health_check.unhealthy_after: expected an "
                             "integer 1..1000, got 'x'");
}
