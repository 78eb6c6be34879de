// The RFC 9111 decisions: directives, request modes, what is stored and for how long,
// conditional requests, dates.
#include <catch.hpp>

#include <algorithm>
#include <memory>

#include "middleware/cache/cache_control.h"

using namespace gw::middleware::cache;
namespace http = boost::beast::http;
using std::chrono::seconds;

namespace {

using Fields = std::initializer_list<std::pair<const char*, const char*>>;

http::request_header<> request(http::verb method, Fields h = {}) {
    http::request_header<> req;
    req.method(method);
    for (auto [name, value] : h) req.insert(name, value);
    return req;
}

ResponseFacts facts(unsigned status, std::string_view cc = "") {
    ResponseFacts f;
    f.status = status;
    f.cc = parse_cache_control(cc);
    return f;
}

}  // namespace

TEST_CASE("Cache-Control directives", "[cache][cache_control]") {
    auto cc = parse_cache_control("Public, max-age=60 , s-maxage=\"120\", must-revalidate");
    CHECK(cc.is_public);
    CHECK(cc.must_revalidate);
    CHECK(cc.max_age == 60);
    CHECK(cc.s_maxage == 120);
    CHECK_FALSE(cc.no_store);
    auto quoted = parse_cache_control("private=\"set-cookie, x-a\", no-cache, max-age=5");
    CHECK(quoted.is_private);
    CHECK(quoted.no_cache);
    CHECK(quoted.max_age == 5);
    CHECK(parse_cache_control("max-age=abc").max_age == 0);  // invalid: stale
    CHECK(parse_cache_control("max-age=1, max-age=9").max_age == 1);  // first wins
    CHECK(parse_cache_control("max-age=99999999999999").max_age == 2147483648LL);
    CHECK(parse_cache_control("NO-STORE").no_store);
    CHECK(parse_cache_control("proxy-revalidate").must_revalidate);
    auto empty = parse_cache_control("");
    CHECK_FALSE(empty.max_age);
    CHECK_FALSE(empty.no_cache);
}

TEST_CASE("what a request asks of the cache", "[cache][cache_control]") {
    CHECK(request_mode(request(http::verb::get)) == RequestMode::lookup);
    CHECK(request_mode(request(http::verb::head)) == RequestMode::lookup);
    CHECK(request_mode(request(http::verb::post)) == RequestMode::bypass);
    CHECK(request_mode(request(http::verb::delete_)) == RequestMode::bypass);
    CHECK(request_mode(request(http::verb::get, {{"cache-control", "no-store"}})) ==
          RequestMode::bypass);
    CHECK(request_mode(request(http::verb::get, {{"cache-control", "no-cache"}})) ==
          RequestMode::revalidate);
    CHECK(request_mode(request(http::verb::get, {{"cache-control", "max-age=0"}})) ==
          RequestMode::revalidate);
    CHECK(request_mode(request(http::verb::get, {{"pragma", "no-cache"}})) ==
          RequestMode::revalidate);
    // Pragma only counts without Cache-Control.
    CHECK(request_mode(request(http::verb::get, {{"pragma", "no-cache"},
                                                 {"cache-control", "max-age=5"}})) ==
          RequestMode::lookup);
    // Several Cache-Control lines are one list.
    CHECK(request_mode(request(http::verb::get, {{"cache-control", "max-age=5"},
                                                 {"cache-control", "no-store"}})) ==
          RequestMode::bypass);
}

TEST_CASE("freshness: s-maxage, max-age, Expires, then the route's ttl",
          "[cache][cache_control]") {
    const Millis ttl = seconds(30);
    auto d = store_decision(facts(200), ttl);
    CHECK(d.store);
    CHECK(d.fresh_for == ttl);
    CHECK(store_decision(facts(200, "max-age=5"), ttl).fresh_for == seconds(5));
    CHECK(store_decision(facts(200, "max-age=5, s-maxage=7"), ttl).fresh_for == seconds(7));
    auto f = facts(200);
    f.expires_in = seconds(12);
    CHECK(store_decision(f, ttl).fresh_for == seconds(12));
    f.expires_in = seconds(-3);  // already expired, no validator: nothing worth keeping
    CHECK_FALSE(store_decision(f, ttl).store);
    CHECK_FALSE(store_decision(facts(200), Millis(0)).store);  // no ttl, upstream silent
}

TEST_CASE("responses that are not stored", "[cache][cache_control]") {
    const Millis ttl = seconds(30);
    CHECK_FALSE(store_decision(facts(200, "no-store"), ttl).store);
    CHECK_FALSE(store_decision(facts(200, "private, max-age=60"), ttl).store);
    CHECK_FALSE(store_decision(facts(500), ttl).store);
    CHECK_FALSE(store_decision(facts(206), ttl).store);
    CHECK_FALSE(store_decision(facts(302), ttl).store);
    CHECK(store_decision(facts(404), ttl).store);
    CHECK(store_decision(facts(301), ttl).store);
    auto cookie = facts(200);
    cookie.has_set_cookie = true;
    CHECK_FALSE(store_decision(cookie, ttl).store);
    auto star = facts(200);
    star.vary_star = true;
    CHECK_FALSE(store_decision(star, ttl).store);
}

TEST_CASE("Authorization the gateway did not check needs explicit permission",
          "[cache][cache_control]") {
    const Millis ttl = seconds(30);
    auto f = facts(200, "max-age=60");
    f.unverified_authorization = true;
    CHECK_FALSE(store_decision(f, ttl).store);
    for (const char* cc : {"public, max-age=60", "s-maxage=60", "must-revalidate, max-age=60"}) {
        auto ok = facts(200, cc);
        ok.unverified_authorization = true;
        CHECK(store_decision(ok, ttl).store);
    }
}

TEST_CASE("no-cache stores only what can be revalidated, never fresh", "[cache][cache_control]") {
    auto f = facts(200, "no-cache, max-age=60");
    CHECK_FALSE(store_decision(f, seconds(30)).store);
    f.has_validator = true;
    auto d = store_decision(f, seconds(30));
    CHECK(d.store);
    CHECK(d.fresh_for == Millis(0));
    CHECK_FALSE(d.must_revalidate);
    CHECK(store_decision(facts(200, "must-revalidate"), seconds(30)).must_revalidate);
}

TEST_CASE("conditional requests against stored validators", "[cache][cache_control]") {
    auto inm = [](const char* v) { return request(http::verb::get, {{"if-none-match", v}}); };
    CHECK(not_modified(inm("\"a\""), "\"a\"", ""));
    CHECK(not_modified(inm("W/\"a\""), "\"a\""  , ""));  // weak comparison
    CHECK(not_modified(inm("\"x\", \"a\""), "W/\"a\"", ""));
    CHECK(not_modified(inm("*"), "\"a\"", ""));
    CHECK_FALSE(not_modified(inm("\"b\""), "\"a\"", ""));
    CHECK_FALSE(not_modified(inm("\"a\""), "", "Tue, 01 Jan 2030 00:00:00 GMT"));
    const char* lm = "Tue, 01 Jan 2030 00:00:00 GMT";
    auto ims = [](const char* v) { return request(http::verb::get, {{"if-modified-since", v}}); };
    CHECK(not_modified(ims("Tue, 01 Jan 2030 00:00:00 GMT"), "", lm));
    CHECK(not_modified(ims("Wed, 02 Jan 2030 00:00:00 GMT"), "", lm));
    CHECK_FALSE(not_modified(ims("Mon, 31 Dec 2029 00:00:00 GMT"), "", lm));
    CHECK_FALSE(not_modified(ims("garbage"), "", lm));
    // If-None-Match wins over If-Modified-Since.
    auto both = request(http::verb::get, {{"if-none-match", "\"b\""},
                                          {"if-modified-since", "Wed, 02 Jan 2030 00:00:00 GMT"}});
    CHECK_FALSE(not_modified(both, "\"a\"", lm));
}

TEST_CASE("HTTP dates in their three forms", "[cache][cache_control]") {
    auto imf = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT");
    REQUIRE(imf);
    CHECK(std::chrono::system_clock::to_time_t(*imf) == 784111777);
    CHECK(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT") == imf);
    CHECK(parse_http_date("Sun Nov  6 08:49:37 1994") == imf);
    CHECK_FALSE(parse_http_date("0"));
    CHECK_FALSE(parse_http_date(""));
    CHECK_FALSE(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT trailing"));
}

TEST_CASE("HTTP dates far off are clamped, never overflow", "[cache][cache_control]") {
    // Regression (tests/fuzz/corpus/cache_control/crash-http-date-overflow): year 0 overflowed
    // system_clock's nanoseconds (signed overflow, UB) in from_time_t.
    auto year0 = parse_http_date("Sun Nov  6 08:49:12 0");
    auto far = parse_http_date("Fri, 31 Dec 9999 23:59:59 GMT");
    auto normal = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT");
    REQUIRE(year0);
    REQUIRE(far);
    REQUIRE(normal);
    CHECK(*year0 < *normal);
    CHECK(*normal < *far);
    // Their difference (Expires minus Date) must fit too.
    CHECK(std::chrono::duration_cast<std::chrono::milliseconds>(*far - *year0).count() > 0);
}

TEST_CASE("an HTTP date with a NUL inside is invalid", "[cache][cache_control]") {
    using namespace std::string_view_literals;
    CHECK_FALSE(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT\0junk"sv));
}

TEST_CASE("directives that differ in case are read inside the value", "[cache][cache_control]") {
    // Regression (tests/fuzz/corpus/cache_control/crash-iequals-past-end): Beast 1.81's iequals
    // read one byte past "publiC" when the value ended a heap block (ASan: heap-buffer-overflow).
    const std::string_view text = "\xffma, publiC";
    auto exact = std::make_unique<char[]>(text.size());  // nothing readable after the value
    std::copy(text.begin(), text.end(), exact.get());
    CacheControl cc = parse_cache_control(std::string_view(exact.get(), text.size()));
    CHECK(cc.is_public);
    CHECK_FALSE(cc.max_age);
}
