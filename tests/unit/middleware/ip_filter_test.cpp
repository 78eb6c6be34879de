// The ip step: allow and deny CIDR lists for IPv4 and IPv6, deny winning.
#include <catch.hpp>

#include "auth/auth_test_util.h"
#include "config/net.h"
#include "middleware/ip_filter.h"

namespace gw::middleware {
namespace {

std::vector<config::Cidr> cidrs(std::initializer_list<const char*> texts) {
    std::vector<config::Cidr> out;
    for (const char* t : texts) {
        std::string error;
        auto c = config::parse_cidr(t, error);
        REQUIRE(c);
        out.push_back(*c);
    }
    return out;
}

boost::asio::ip::address addr(const char* s) { return boost::asio::ip::make_address(s); }

}  // namespace

TEST_CASE("ip: allow list only", "[ip]") {
    IpFilterConfig f{cidrs({"10.0.0.0/8", "fd00::/8"}), {}, nullptr};
    CHECK(ip_permitted(f, addr("10.1.2.3")));
    CHECK_FALSE(ip_permitted(f, addr("11.0.0.1")));
    CHECK(ip_permitted(f, addr("fd12::1")));
    CHECK_FALSE(ip_permitted(f, addr("fe80::1")));
    // A dual-stack listener's v4-mapped peer matches IPv4 ranges.
    CHECK(ip_permitted(f, addr("::ffff:10.9.9.9")));
}

TEST_CASE("ip: deny wins over allow", "[ip]") {
    IpFilterConfig f{cidrs({"10.0.0.0/8"}), cidrs({"10.6.0.0/16", "2001:db8::/32"}), nullptr};
    CHECK(ip_permitted(f, addr("10.5.0.1")));
    CHECK_FALSE(ip_permitted(f, addr("10.6.0.1")));
    IpFilterConfig deny_only{{}, cidrs({"192.168.1.7", "2001:db8::/32"}), nullptr};
    CHECK(ip_permitted(deny_only, addr("192.168.1.8")));
    CHECK_FALSE(ip_permitted(deny_only, addr("192.168.1.7")));
    CHECK_FALSE(ip_permitted(deny_only, addr("2001:db8:1::5")));
    CHECK(ip_permitted(deny_only, addr("2001:db9::5")));
}

TEST_CASE("ip step: 403 ip_forbidden on the client address, counted", "[ip]") {
    auto failures = std::make_shared<auth::RouteFailures>();
    IpFilterStep step(IpFilterConfig{cidrs({"127.0.0.0/8"}), {}, failures});
    RequestContext ctx;
    RequestHead req;
    ctx.client_addr = addr("127.0.0.1");
    CHECK_FALSE(auth::test::run(step.on_request(ctx, req)));
    ctx.client_addr = addr("203.0.113.9");
    auto reply = auth::test::run(step.on_request(ctx, req));
    REQUIRE(reply);
    CHECK(reply->status == 403);
    CHECK(reply->code == "ip_forbidden");
    CHECK(failures->get("ip_forbidden") == 1);
}

}  // namespace gw::middleware
