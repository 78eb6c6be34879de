// Cache keys: query order, vary values, the caller's identity, the upstream's Vary.
#include <catch.hpp>

#include "middleware/cache/cache_key.h"

using namespace gw::middleware;
using namespace gw::middleware::cache;
namespace http = boost::beast::http;

namespace {

struct KeyFixture {
    CacheRule rule;
    RequestContext ctx;
    http::request_header<> req;
    KeyFixture() {
        rule.route = "r";
        ctx.host = "api.example.com";
        ctx.path = "/items/1";
        req.method(http::verb::get);
    }
    std::string key() const { return primary_key(rule, ctx, req); }
};

}  // namespace

TEST_CASE("query parameters are sorted by name, repeated names keep their order",
          "[cache][key]") {
    CHECK(sorted_query("b=2&a=1") == "a=1&b=2");
    CHECK(sorted_query("a=2&b=1&a=1") == "a=2&a=1&b=1");
    CHECK(sorted_query("&&c&a=") == "a=&c");
    CHECK(sorted_query("") == "");
}

TEST_CASE("parameter order does not make two entries", "[cache][key]") {
    KeyFixture a, b;
    a.ctx.query = "x=1&y=2";
    b.ctx.query = "y=2&x=1";
    CHECK(a.key() == b.key());
    CHECK(a.key().size() == 64);  // hex SHA-256
    b.ctx.query = "y=2&x=2";
    CHECK(a.key() != b.key());
}

TEST_CASE("host, path, route and method class are part of the key", "[cache][key]") {
    KeyFixture base;
    auto k = base.key();
    KeyFixture host;
    host.ctx.host = "other.example.com";
    CHECK(host.key() != k);
    KeyFixture path;
    path.ctx.path = "/items/2";
    CHECK(path.key() != k);
    KeyFixture route;
    route.rule.route = "r2";
    CHECK(route.key() != k);
    KeyFixture head;
    head.req.method(http::verb::head);  // HEAD shares the GET entry
    CHECK(head.key() == k);
    // Length prefixes: moving a boundary changes the key.
    KeyFixture shifted;
    shifted.ctx.host = "api.example.com/items";
    shifted.ctx.path = "/1";
    CHECK(shifted.key() != k);
}

TEST_CASE("the route's vary headers are part of the key", "[cache][key]") {
    KeyFixture a, b;
    a.rule.vary = b.rule.vary = {"accept"};
    a.req.set("Accept", "application/json");
    b.req.set("Accept", "text/html");
    CHECK(a.key() != b.key());
    b.req.set("Accept", "  application/json ");  // surrounding blanks do not count
    CHECK(a.key() == b.key());
    KeyFixture unlisted;
    unlisted.req.set("Accept", "text/html");
    CHECK(unlisted.key() == KeyFixture().key());  // not in vary: ignored
}

TEST_CASE("one consumer never gets another's key unless the route is shared", "[cache][key]") {
    KeyFixture anon, alice, bob, alice_again;
    for (auto* f : {&alice, &bob, &alice_again}) {
        f->ctx.identity.authenticated = true;
        f->ctx.identity.authenticator = "keys";
    }
    alice.ctx.identity.consumer = alice_again.ctx.identity.consumer = "alice";
    bob.ctx.identity.consumer = "bob";
    CHECK(alice.key() != bob.key());
    CHECK(alice.key() != anon.key());
    CHECK(alice.key() == alice_again.key());
    CHECK(keyed_by_consumer(alice.rule, alice.ctx));
    // Credentials that map to no consumer are told apart by subject.
    KeyFixture sub1, sub2;
    for (auto* f : {&sub1, &sub2}) f->ctx.identity.authenticated = true;
    sub1.ctx.identity.subject = "u1";
    sub2.ctx.identity.subject = "u2";
    CHECK(sub1.key() != sub2.key());
    // shared: true: one entry for everyone.
    alice.rule.shared = bob.rule.shared = true;
    CHECK(alice.key() == bob.key());
    CHECK(alice.key() == anon.key());
    CHECK_FALSE(keyed_by_consumer(alice.rule, alice.ctx));
}

TEST_CASE("the upstream's Vary makes variant keys", "[cache][key]") {
    CHECK(parse_vary("Accept-Language, accept-encoding,ACCEPT-language") ==
          std::vector<std::string>{"accept-encoding", "accept-language"});
    CHECK(parse_vary("accept, *") == std::vector<std::string>{"*"});
    CHECK(parse_vary("").empty());
    http::request_header<> en, fr, en2;
    en.set("Accept-Language", "en");
    fr.set("Accept-Language", "fr");
    en2.set("accept-language", "en");
    std::vector<std::string> vary{"accept-language"};
    CHECK(variant_key("p", vary, en) != variant_key("p", vary, fr));
    CHECK(variant_key("p", vary, en) == variant_key("p", vary, en2));
    CHECK(variant_key("p", vary, en) != variant_key("q", vary, en));
}

TEST_CASE("header values: repeated lines joined", "[cache][key]") {
    http::request_header<> req;
    req.insert("X-A", " 1 ");
    req.insert("x-a", "2");
    CHECK(header_value(req, "x-a") == "1, 2");
    CHECK(header_value(req, "x-b") == "");
}
