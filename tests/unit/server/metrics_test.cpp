#include <catch.hpp>

#include "server/metrics.h"

using gw::server::Metrics;

TEST_CASE("metrics sum workers and render Prometheus text", "[metrics]") {
    Metrics m(2);
    m.worker(0).record_request("orders", "GET", 200, 0.003);
    m.worker(1).record_request("orders", "GET", 204, 0.2);
    m.worker(1).record_request("orders", "BREW", 503, 0.0005);
    m.worker(0).record_upstream("crm", 0.002);
    m.worker(0).active_connections = 3;
    m.record_reload(true);
    m.record_reload(false);
    m.record_reload(false);
    auto text = m.render();
    CHECK(text.find("gateway_requests_total{route=\"orders\",method=\"GET\",status_class=\"2xx\"} 2\n") != std::string::npos);
    CHECK(text.find("gateway_requests_total{route=\"orders\",method=\"OTHER\",status_class=\"5xx\"} 1\n") != std::string::npos);
    // cumulative buckets: 0.0005 <= 0.001; 0.003 <= 0.005; 0.2 <= 0.25
    CHECK(text.find("gateway_request_duration_seconds_bucket{route=\"orders\",le=\"0.001\"} 1\n") != std::string::npos);
    CHECK(text.find("gateway_request_duration_seconds_bucket{route=\"orders\",le=\"0.005\"} 2\n") != std::string::npos);
    CHECK(text.find("gateway_request_duration_seconds_bucket{route=\"orders\",le=\"0.25\"} 3\n") != std::string::npos);
    CHECK(text.find("gateway_request_duration_seconds_bucket{route=\"orders\",le=\"+Inf\"} 3\n") != std::string::npos);
    CHECK(text.find("gateway_request_duration_seconds_count{route=\"orders\"} 3\n") != std::string::npos);
    CHECK(text.find("gateway_upstream_duration_seconds_count{upstream=\"crm\"} 1\n") != std::string::npos);
    CHECK(text.find("gateway_active_connections 3\n") != std::string::npos);
    CHECK(text.find("gateway_config_reloads_total{result=\"success\"} 1\n") != std::string::npos);
    CHECK(text.find("gateway_config_reloads_total{result=\"failure\"} 2\n") != std::string::npos);
}

TEST_CASE("label values are escaped", "[metrics]") {
    Metrics m(1);
    m.worker(0).record_request("a\"b", "GET", 200, 0.001);
    CHECK(m.render().find("route=\"a\\\"b\"") != std::string::npos);
}
