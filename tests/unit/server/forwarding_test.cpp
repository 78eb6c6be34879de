#include <catch.hpp>

#include "server/forwarding.h"

using namespace gw::server;
namespace asio = boost::asio;

namespace {
gw::config::Cidr cidr(const char* net, unsigned prefix) {
    return {asio::ip::make_address(net), prefix};
}
}  // namespace

TEST_CASE("hop-by-hop headers and those named in Connection are stripped", "[forwarding]") {
    http::fields f;
    f.set(http::field::connection, "keep-alive, X-Secret-Hop");
    f.set("x-secret-hop", "1");
    f.set(http::field::keep_alive, "timeout=5");
    f.set(http::field::transfer_encoding, "chunked");
    f.set(http::field::upgrade, "websocket");
    f.set(http::field::te, "trailers");
    f.set(http::field::proxy_authorization, "Basic eA==");
    f.set("x-kept", "yes");
    strip_hop_by_hop(f);
    CHECK(f.count(http::field::connection) == 0);
    CHECK(f.count("x-secret-hop") == 0);
    CHECK(f.count(http::field::keep_alive) == 0);
    CHECK(f.count(http::field::transfer_encoding) == 0);
    CHECK(f.count(http::field::upgrade) == 0);
    CHECK(f.count(http::field::te) == 0);
    CHECK(f.count(http::field::proxy_authorization) == 0);
    CHECK(f["x-kept"] == "yes");
}

TEST_CASE("every header named in any Connection field is stripped, whatever the case",
          "[forwarding]") {
    http::fields f;
    std::string names;
    for (int i = 0; i < 20; ++i) {  // past the names kept without allocating
        std::string name = "X-Hop-" + std::to_string(i);
        f.insert(name, "v");
        names += (i ? ", " : "") + name;
    }
    f.insert(http::field::connection, names);
    f.insert(http::field::connection, " close ,X-OTHER-hop");
    f.insert("x-other-hop", "1");
    f.insert("x-hop-kept", "yes");
    f.insert(http::field::content_length, "0");
    strip_hop_by_hop(f);
    for (int i = 0; i < 20; ++i) CHECK(f.count("x-hop-" + std::to_string(i)) == 0);
    CHECK(f.count("x-other-hop") == 0);
    CHECK(f.count(http::field::connection) == 0);
    CHECK(f["x-hop-kept"] == "yes");
    CHECK(f[http::field::content_length] == "0");
}

TEST_CASE("a message without hop-by-hop headers is left as it was", "[forwarding]") {
    http::fields f;
    f.insert(http::field::host, "a");
    f.insert("x-one", "1");
    f.insert("x-one", "2");
    strip_hop_by_hop(f);
    std::vector<std::string> seen;
    for (const auto& field : f) seen.emplace_back(field.value());
    CHECK(seen == std::vector<std::string>{"a", "1", "2"});
}

TEST_CASE("client ip walks X-Forwarded-For only behind trusted proxies", "[forwarding]") {
    std::vector<gw::config::Cidr> trusted{cidr("10.0.0.0", 8)};
    auto peer_trusted = asio::ip::make_address("10.0.0.5");
    auto peer_untrusted = asio::ip::make_address("192.0.2.7");
    CHECK(client_ip(peer_untrusted, false, "1.1.1.1", trusted) == "192.0.2.7");
    CHECK(client_ip(peer_trusted, true, "1.1.1.1, 10.0.0.9", trusted) == "1.1.1.1");
    CHECK(client_ip(peer_trusted, true, "", trusted) == "10.0.0.5");
    CHECK(client_ip(peer_trusted, true, "not-an-ip", trusted) == "10.0.0.5");
    CHECK(is_trusted(peer_trusted, trusted));
    CHECK_FALSE(is_trusted(peer_untrusted, trusted));
}

TEST_CASE("request ids are kept when sane and generated otherwise", "[forwarding]") {
    auto request_id_for = [](std::string_view sent) {
        std::string id = "left from an earlier request, longer than any id";
        assign_request_id(id, sent);
        return id;
    };
    CHECK(request_id_for("abc-123") == "abc-123");
    auto generated = request_id_for("");
    CHECK(generated.size() == 32);
    CHECK(generated.find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(request_id_for("bad id\r\nx").size() == 32);
    CHECK(request_id_for(std::string(200, 'a')).size() == 32);
    CHECK(request_id_for("") != generated);
}

TEST_CASE("traceparent keeps the trace id and starts a new span", "[forwarding]") {
    std::string sent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    auto next = next_traceparent(sent);
    REQUIRE(next.size() == 55);
    CHECK(next.substr(0, 36) == sent.substr(0, 36));
    CHECK(next.substr(36, 16) != "00f067aa0ba902b7");
    CHECK(next.substr(52) == "-01");
    auto fresh = next_traceparent("garbage");
    REQUIRE(fresh.size() == 55);
    CHECK(fresh.substr(0, 3) == "00-");
    CHECK(fresh.substr(52) == "-01");
    auto zero = next_traceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01");
    CHECK(zero.substr(3, 32) != std::string(32, '0'));
}

TEST_CASE("host header loses its port and case", "[forwarding]") {
    CHECK(host_without_port("API.Example.com:8443") == "api.example.com");
    CHECK(host_without_port("[::1]:8080") == "[::1]");
    CHECK(host_without_port("bad/host") == "");
    CHECK(host_without_port("") == "");
}

TEST_CASE("upstream credentials of each type", "[forwarding]") {
    using T = gw::config::Credentials::Type;
    http::fields f;
    apply_credentials({T::bearer, "", "tok"}, f);
    CHECK(f[http::field::authorization] == "Bearer tok");
    apply_credentials({T::basic, "", "user:pass"}, f);
    CHECK(f[http::field::authorization] == "Basic dXNlcjpwYXNz");
    apply_credentials({T::header, "x-api-key", "k1"}, f);
    CHECK(f["x-api-key"] == "k1");
    std::string target = "/a?x=1";
    append_query_credential({T::query, "api_key", "a b&c"}, target);
    CHECK(target == "/a?x=1&api_key=a%20b%26c");
    std::string bare = "/a";
    append_query_credential({T::query, "k", "v"}, bare);
    CHECK(bare == "/a?k=v");
}

TEST_CASE("query credentials echoed in redirects are removed", "[forwarding]") {
    using T = gw::config::Credentials::Type;
    gw::config::Credentials c{T::query, "api_key", "s3cret"};
    http::fields f;
    f.set(http::field::location, "/next?api_key=s3cret&x=1");
    f.set(http::field::content_location, "/a?x=1&api_key=s3cret");
    strip_query_credential(f, c);
    CHECK(f[http::field::location] == "/next?x=1");
    CHECK(f[http::field::content_location] == "/a?x=1");
    f.set(http::field::location, "https://h/p?api_key=s3cret");
    strip_query_credential(f, c);
    CHECK(f[http::field::location] == "https://h/p");
    f.set(http::field::location, "/keep?other=1");
    strip_query_credential(f, c);
    CHECK(f[http::field::location] == "/keep?other=1");
}

TEST_CASE("a query credential rebuilt by its own removal is removed too", "[forwarding]") {
    // Regression (tests/fuzz/corpus/request_head/crash-strip-rebuilt): "k=k=ss" minus "k=s" was
    // "k=s", the credential itself, in the Location shown to the caller.
    gw::config::Credentials c;
    c.type = gw::config::Credentials::Type::query;
    c.name = "k";
    c.value = "s";
    http::fields f;
    f.set(http::field::location, "/x?k=k=ss&k=s");
    strip_query_credential(f, c);
    CHECK(f[http::field::location].find("k=s") == std::string_view::npos);
    CHECK(f[http::field::location] == "/x");
}

TEST_CASE("X-Forwarded-For lines are joined in order", "[forwarding]") {
    http::fields f;
    f.insert("x-forwarded-for", "1.1.1.1");
    f.insert("x-forwarded-for", "2.2.2.2, 3.3.3.3");
    CHECK(joined_values(f, "x-forwarded-for") == "1.1.1.1, 2.2.2.2, 3.3.3.3");
}

