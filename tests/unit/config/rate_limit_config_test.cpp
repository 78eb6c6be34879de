// rate_limit: load errors (file:line:col and key path), the compiled step, and reloads that
// keep the counters of unchanged limits.
#include <catch.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "config/config.h"
#include "middleware/registry.h"
#include "middleware/step.h"
#include "test_files.h"

using namespace gw::config;
using gw::config::test::find_route;
using gw::config::test::joined;
using gw::config::test::TempDir;

namespace {

std::string route_with(const std::string& limits, const std::string& name = "r",
                       const std::string& path = "/r") {
    return "  - name: " + name + "\n    match: { path: " + path +
           " }\n    respond: { status: 200 }\n    rate_limit:\n" + limits;
}

std::string config_with(const std::string& routes) {
    return "server: { listen: \"127.0.0.1:0\" }\nroutes:\n" + routes;
}

LoadResult load_text(const TempDir& dir, const std::string& yaml, std::string& file,
                     gw::middleware::Registry* registry = nullptr) {
    file = dir.write("gateway.yaml", yaml);
    return load_config(file, registry);
}

std::string one_error(const std::string& limits) {
    TempDir dir;
    std::string f;
    auto r = load_text(dir, config_with(route_with(limits)), f);
    INFO(joined(r.errors));
    CHECK(r.config == nullptr);
    REQUIRE(r.errors.size() == 1);
    REQUIRE(r.errors[0].rfind(f + ":", 0) == 0);
    return r.errors[0].substr(f.size() + 1);
}

// Sends one request through the route's steps; true when it was let through.
bool passes(const Config& cfg, const std::string& route) {
    const RouteSpec* spec = find_route(cfg, route);
    REQUIRE(spec);
    REQUIRE(spec->steps.size() == 1);
    gw::middleware::RequestContext ctx;
    ctx.client_addr = boost::asio::ip::make_address("127.0.0.1");
    gw::middleware::RequestHead req;
    boost::asio::io_context ioc;
    auto f = boost::asio::co_spawn(ioc, spec->steps[0]->on_request(ctx, req),
                                   boost::asio::use_future);
    ioc.run();
    return !f.get().has_value();
}

int passing(const Config& cfg, const std::string& route, int tries) {
    int n = 0;
    for (int i = 0; i < tries; ++i) n += passes(cfg, route);
    return n;
}

}  // namespace

TEST_CASE("rate_limit: errors name file:line:col and the key path", "[config][rate_limit]") {
    CHECK(one_error("      - { key: ipp, limit: 5, window: 1s }\n") ==
          "7:16: routes[0].rate_limit[0].key: expected ip | consumer | route | header:NAME, "
          "got 'ipp' (did you mean 'ip'?)");
    CHECK(one_error("      - { key: \"header:bad name\", limit: 5, window: 1s }\n") ==
          "7:16: routes[0].rate_limit[0].key: expected a header name after 'header:', got "
          "'bad name'");
    CHECK(one_error("      - { key: ip, limit: 0, window: 1s }\n") ==
          "7:27: routes[0].rate_limit[0].limit: expected an integer 1..1000000000, got '0'");
    CHECK(one_error("      - { key: ip, limit: 5, window: 0s }\n") ==
          "7:38: routes[0].rate_limit[0].window: must be greater than 0");
    CHECK(one_error("      - { key: ip, limit: 5, window: 5 }\n") ==
          "7:38: routes[0].rate_limit[0].window: expected a duration like 250ms, 5s, 10m or "
          "1h, got '5'");
    CHECK(one_error("      - { key: ip, limit: 5, window: 1s, burst: 0 }\n") ==
          "7:49: routes[0].rate_limit[0].burst: expected an integer 1..1000000000, got '0'");
    CHECK(one_error("      - { key: ip, limit: 5 }\n") ==
          "7:9: routes[0].rate_limit[0].window: is required");
    CHECK(one_error("      - { key: ip, limit: 5, window: 1s, store: redis }\n") ==
          "7:49: routes[0].rate_limit[0].store: store: redis needs a top-level redis: section "
          "with its url");
    CHECK(one_error("      - { key: ip, limit: 5, window: 1s, store: disk }\n") ==
          "7:49: routes[0].rate_limit[0].store: expected local | redis, got 'disk'");
    CHECK(one_error("      - { key: ip, limit: 5, window: 1s, burts: 2 }\n") ==
          "7:42: routes[0].rate_limit[0].burts: unknown key (did you mean 'burst'?)");
    CHECK(one_error("      - { key: ip, limit: 1000000000, window: 1ms }\n") ==
          "7:9: routes[0].rate_limit[0]: limit/window/burst out of range: window / limit must "
          "be at least 1ns and burst * window / limit under 146 years");
    CHECK(one_error("      - { key: ip, limit: 5, window: 1s }\n"
                    "      - { key: ip, limit: 5, window: 1s, burst: 5 }\n") ==
          "8:9: routes[0].rate_limit[1]: the same limit as routes[0].rate_limit[0]");
    CHECK(one_error("      key: ip\n") == "7:7: routes[0].rate_limit: expected a list, got a mapping");
}

TEST_CASE("rate_limit: compiled into one rate_limit step", "[config][rate_limit]") {
    TempDir dir;
    std::string f;
    auto r = load_text(dir, config_with(route_with(
                                "      - { key: ip, limit: 2, window: 1m }\n"
                                "      - { key: \"header:X-Key\", limit: 9, window: 1s }\n") +
                            "  - name: plain\n    match: { path: /p }\n"
                            "    respond: { status: 200 }\n"),
                       f);
    INFO(joined(r.errors));
    REQUIRE(r.config);
    REQUIRE(find_route(*r.config, "r")->steps.size() == 1);
    CHECK(find_route(*r.config, "r")->steps[0]->name() == "rate_limit");
    CHECK(find_route(*r.config, "plain")->steps.empty());
    CHECK(passing(*r.config, "r", 5) == 2);
}

TEST_CASE("rate_limit: a reload keeps unchanged limits' counts, a changed limit starts fresh",
          "[config][rate_limit]") {
    gw::middleware::Registry registry;
    TempDir dir;
    std::string f;
    auto a = route_with("      - { key: ip, limit: 3, window: 1h }\n", "a", "/a");
    auto b = route_with("      - { key: ip, limit: 3, window: 1h }\n", "b", "/b");
    auto first = load_text(dir, config_with(a + b), f, &registry);
    INFO(joined(first.errors));
    REQUIRE(first.config);
    CHECK(passing(*first.config, "a", 2) == 2);
    CHECK(passing(*first.config, "b", 2) == 2);

    auto b_changed = route_with("      - { key: ip, limit: 4, window: 1h }\n", "b", "/b");
    auto second = load_text(dir, config_with(a + b_changed), f, &registry);
    REQUIRE(second.config);
    CHECK(passing(*second.config, "a", 5) == 1);  // 2 of 3 were used before the reload
    CHECK(passing(*second.config, "b", 6) == 4);  // a new limit: a fresh count

    // The same route again (e.g. a reload that changed nothing): counts carry on.
    auto third = load_text(dir, config_with(a + b_changed), f, &registry);
    REQUIRE(third.config);
    CHECK(passing(*third.config, "a", 2) == 0);
    CHECK(passing(*third.config, "b", 2) == 0);

    std::string metrics;
    registry.render_metrics(metrics);
    CHECK(metrics.find("gateway_rate_limit_decisions_total{route=\"a\",limit=\"ip 3/1h\","
                       "result=\"allowed\"} 3\n") != std::string::npos);
    CHECK(metrics.find("gateway_rate_limit_decisions_total{route=\"a\",limit=\"ip 3/1h\","
                       "result=\"limited\"} 6\n") != std::string::npos);
    CHECK(metrics.find("gateway_rate_limit_decisions_total{route=\"b\",limit=\"ip 4/1h\","
                       "result=\"allowed\"} 4\n") != std::string::npos);
}

TEST_CASE("rate_limit: store: redis with a redis: section", "[config][rate_limit][redis]") {
    gw::middleware::Registry registry;
    TempDir dir;
    std::string f;
    // Loading connects to nothing: the workers' clients connect on first use.
    auto r = load_text(dir,
                       "server: { listen: \"127.0.0.1:0\" }\n"
                       "redis: { url: \"redis://127.0.0.1:1/0\", on_error: deny }\n"
                       "routes:\n" +
                           route_with("      - { key: ip, limit: 2, window: 1m, store: redis }\n"
                                      "      - { key: route, limit: 9, window: 1s }\n"),
                       f, &registry);
    INFO(joined(r.errors));
    REQUIRE(r.config);
    REQUIRE(find_route(*r.config, "r")->steps.size() == 1);
    CHECK(find_route(*r.config, "r")->steps[0]->name() == "rate_limit");
    std::string metrics;
    registry.render_metrics(metrics);
    CHECK(metrics.find("gateway_rate_limit_redis_errors_total{route=\"r\",limit=\"ip 2/1m\"} "
                       "0\n") != std::string::npos);
    // Only limits with store: redis have the error counter.
    CHECK(metrics.find("gateway_rate_limit_redis_errors_total{route=\"r\",limit=\"route") ==
          std::string::npos);
}
