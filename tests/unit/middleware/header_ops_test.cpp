#include <catch.hpp>

#include "middleware/header_ops.h"

TEST_CASE("header rules remove then set", "[middleware][headers]") {
    boost::beast::http::fields f;
    f.set("cookie", "a=1");
    f.set("server", "upstream");
    f.set("x-source", "client");
    gw::config::HeaderOps ops;
    ops.remove = {"cookie", "server"};
    ops.set = {{"x-source", "gateway"}, {"x-frame-options", "DENY"}};
    gw::middleware::apply_header_ops(ops, f);
    CHECK(f.count("cookie") == 0);
    CHECK(f.count("server") == 0);
    CHECK(f["x-source"] == "gateway");
    CHECK(f.count("x-source") == 1);
    CHECK(f["x-frame-options"] == "DENY");
}
