#include <catch.hpp>

#include <algorithm>
#include <memory>

#include "config/env.h"
#include "config/net.h"
#include "config/suggest.h"
#include "config/text.h"
#include "config/units.h"

using namespace gw::config;
using std::chrono::milliseconds;

TEST_CASE("durations with units parse to milliseconds", "[config][units]") {
    CHECK(parse_duration("250ms") == milliseconds(250));
    CHECK(parse_duration("5s") == milliseconds(5000));
    CHECK(parse_duration("10m") == milliseconds(600000));
    CHECK(parse_duration("1h") == milliseconds(3600000));
    CHECK(parse_duration("0s") == milliseconds(0));
}

TEST_CASE("bad durations are refused, a bare number included", "[config][units]") {
    for (const char* bad : {"10", "", "s", "5 s", "-5s", "1.5s", "5sec", "5S", "1d",
                            "99999999999999999999h", "100000000000h"}) {
        INFO(bad);
        CHECK_FALSE(parse_duration(bad).has_value());
    }
}

TEST_CASE("sizes: bytes and binary units", "[config][units]") {
    CHECK(parse_size("512") == 512u);
    CHECK(parse_size("16KiB") == 16u * 1024);
    CHECK(parse_size("10MiB") == 10u * 1024 * 1024);
    CHECK(parse_size("1GiB") == 1024u * 1024 * 1024);
    CHECK(parse_size("0") == 0u);
    for (const char* bad : {"", "KiB", "16kb", "16KB", "1.5MiB", "-1", "16 KiB", "1TiB",
                            "99999999999999999999GiB"}) {
        INFO(bad);
        CHECK_FALSE(parse_size(bad).has_value());
    }
}

TEST_CASE("env substitution", "[config][env]") {
    EnvLookup env = [](const std::string& name) -> std::optional<std::string> {
        if (name == "HOST") return std::string("crm.internal");
        if (name == "EMPTY") return std::string();
        return std::nullopt;
    };
    std::string out, error;
    REQUIRE(substitute_env("http://${HOST}:${PORT:-8080}/x", env, out, error));
    CHECK(out == "http://crm.internal:8080/x");
    REQUIRE(substitute_env("${EMPTY:-fallback}|${EMPTY}|${UNSET:-}", env, out, error));
    CHECK(out == "fallback||");
    REQUIRE(substitute_env("cost: $$5 and $x", env, out, error));
    CHECK(out == "cost: $5 and $x");

    CHECK_FALSE(substitute_env("token ${MISSING}", env, out, error));
    CHECK(error == "environment variable 'MISSING' is not set "
                   "(use ${MISSING:-default} for a default)");
    CHECK_FALSE(substitute_env("${HOST", env, out, error));
    CHECK(error.find("unterminated '${'") != std::string::npos);
    CHECK_FALSE(substitute_env("${9BAD}", env, out, error));
    CHECK(error == "bad variable name '9BAD' in ${...}");
}

TEST_CASE("did you mean: closest key within two edits", "[config][suggest]") {
    CHECK(edit_distance("upstream", "upstraem") == 2);
    CHECK(did_you_mean("upstrem", {"upstream", "name"}) == " (did you mean 'upstream'?)");
    CHECK(did_you_mean("crmm", {"crm", "billing"}) == " (did you mean 'crm'?)");
    CHECK(did_you_mean("totally", {"crm", "billing"}).empty());
    CHECK(did_you_mean("ab", {"xy"}).empty());
}

TEST_CASE("endpoints and CIDRs", "[config][net]") {
    std::string error;
    auto e = parse_endpoint("[::]:8080", false, error);
    REQUIRE(e);
    CHECK(e->host == "::");
    CHECK(e->port == 8080);
    CHECK(e->str() == "[::]:8080");
    CHECK(parse_endpoint("127.0.0.1:0", true, error)->str() == "127.0.0.1:0");
    CHECK_FALSE(parse_endpoint("127.0.0.1:0", false, error));
    CHECK(error == "port must be 1..65535, got '0'");
    CHECK_FALSE(parse_endpoint("localhost", true, error));
    CHECK_FALSE(parse_endpoint("[zz]:80", true, error));
    CHECK_FALSE(parse_endpoint("host:70000", true, error));

    auto c = parse_cidr("10.1.2.3/8", error);
    REQUIRE(c);
    CHECK(c->network.to_string() == "10.0.0.0");
    CHECK(c->contains(boost::asio::ip::make_address("10.200.0.1")));
    CHECK_FALSE(c->contains(boost::asio::ip::make_address("11.0.0.1")));
    CHECK(c->contains(boost::asio::ip::make_address("::ffff:10.0.0.9")));
    auto v6 = parse_cidr("fd00::/8", error);
    REQUIRE(v6);
    CHECK(v6->contains(boost::asio::ip::make_address("fd12::1")));
    CHECK_FALSE(v6->contains(boost::asio::ip::make_address("10.0.0.1")));
    auto single = parse_cidr("::1", error);
    REQUIRE(single);
    CHECK(single->prefix == 128);
    CHECK(parse_cidr("192.168.1.1", error)->prefix == 32);
    CHECK_FALSE(parse_cidr("10.0.0.0/33", error));
    CHECK_FALSE(parse_cidr("nonsense", error));
}

TEST_CASE("an address with a NUL inside is refused, not cut at the NUL", "[config][units]") {
    // Regression (tests/fuzz/corpus/cidr/seed-aec65c19d5a5): "10.0.0.1\0junk", which YAML can
    // spell "10.0.0.1\0junk", read as 10.0.0.1.
    using namespace std::string_view_literals;
    std::string error;
    CHECK_FALSE(parse_cidr("10.0.0.1\0junk"sv, error));
    CHECK_FALSE(error.empty());
    CHECK_FALSE(parse_cidr("10.0.0.0/8\0"sv, error));
    CHECK_FALSE(parse_endpoint("[::1\0x]:80"sv, true, error));
    CHECK_FALSE(parse_endpoint("127.0.0.1:80\0"sv, true, error));
}

TEST_CASE("iequals is ASCII case-insensitive and stays inside both views", "[config][units]") {
    auto exact = std::make_unique<char[]>(6);  // no terminator after the text
    std::copy_n("PubliC", 6, exact.get());
    const std::string_view heap(exact.get(), 6);
    CHECK(iequals(heap, "public"));
    CHECK(iequals("public", heap));
    CHECK_FALSE(iequals(heap, "publix"));
    CHECK_FALSE(iequals("a", "ab"));
    CHECK(iequals("", ""));
    // Only letters fold: these pairs differ by the 0x20 bit but are not letters.
    CHECK_FALSE(iequals("@", "`"));
    CHECK_FALSE(iequals("[", "{"));
    CHECK_FALSE(iequals("-", "\r"));
    CHECK_FALSE(iequals("1", "\x11"));
    CHECK(iequals("X-Request-ID", "x-request-id"));
}

TEST_CASE("trim_ows strips only spaces and tabs, from both ends", "[config][units]") {
    using namespace std::string_view_literals;
    CHECK(trim_ows(" \t max-age=60\t ") == "max-age=60");
    CHECK(trim_ows("a b") == "a b");  // inner white space stays
    CHECK(trim_ows(" \t ").empty());
    CHECK(trim_ows("").empty());
    // RFC 9110 OWS is SP / HTAB: CR, LF, NUL and vertical tab are left for the caller to refuse.
    CHECK(trim_ows("\r\nx\n") == "\r\nx\n");
    CHECK(trim_ows(" x\0 "sv) == "x\0"sv);
    CHECK(trim_ows("\vx\f") == "\vx\f");
    const std::string_view text = "  token ";
    CHECK(trim_ows(text).data() == text.data() + 2);  // a view into the input, not a copy
}
