// fetch: one request out, one bounded answer back, against a scripted server on 127.0.0.1.
#include <catch.hpp>

#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>

#include "server/http_client.h"

namespace gw::server {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// Accepts one connection, reads the request head (and a body of `body_bytes`), records it,
// and writes `answer` (nothing when empty: the server stays silent until the test ends).
class ScriptedServer {
public:
    ScriptedServer(std::string answer, std::size_t body_bytes = 0)
        : acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
        thread_ = std::thread([this, answer = std::move(answer), body_bytes] {
            boost::system::error_code ec;
            tcp::socket s(ioc_);
            acceptor_.accept(s, ec);
            if (ec) return;
            asio::streambuf buf;
            std::size_t n = asio::read_until(s, buf, "\r\n\r\n", ec);
            std::string all(asio::buffers_begin(buf.data()), asio::buffers_end(buf.data()));
            if (all.size() < n + body_bytes) {
                std::string rest(n + body_bytes - all.size(), '\0');
                asio::read(s, asio::buffer(rest), ec);
                all += rest;
            }
            request_ = all;
            if (answer.empty()) {
                char c;
                s.read_some(asio::buffer(&c, 1), ec);  // until the client gives up
                return;
            }
            asio::write(s, asio::buffer(answer), ec);
        });
    }
    ~ScriptedServer() {
        boost::system::error_code ec;
        acceptor_.close(ec);
        thread_.join();
    }
    std::string url(std::string_view path) const {
        return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) +
               std::string(path);
    }
    std::string request() {
        thread_.join();
        thread_ = std::thread([] {});
        return request_;
    }

private:
    asio::io_context ioc_;
    tcp::acceptor acceptor_;
    std::thread thread_;
    std::string request_;
};

FetchResult run(FetchRequest req) {
    asio::io_context ioc;
    auto f = asio::co_spawn(ioc, fetch(ioc.get_executor(), std::move(req)), asio::use_future);
    ioc.run();
    return f.get();
}

}  // namespace

TEST_CASE("fetch sends the request and reads status, headers and body", "[http_client]") {
    ScriptedServer server(
        "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nX-Thing: a\r\n"
        "Content-Length: 11\r\n\r\n{\"ok\":true}",
        9);
    FetchRequest req;
    req.method = "POST";
    req.url = server.url("/oauth/token?x=1");
    req.headers = {{"content-type", "application/x-www-form-urlencoded"}};
    req.body = "grant=abc";
    auto r = run(req);
    REQUIRE(r.ok());
    CHECK(r.response.status == 201);
    CHECK(r.response.body == "{\"ok\":true}");
    CHECK(r.response.header("x-thing") == "a");
    CHECK(r.response.header("content-type") == "application/json");
    std::string seen = server.request();
    CHECK(seen.rfind("POST /oauth/token?x=1 HTTP/1.1\r\n", 0) == 0);
    CHECK(seen.find("Content-Length: 9\r\n") != std::string::npos);
    CHECK(seen.find("Connection: close\r\n") != std::string::npos);
    CHECK(seen.substr(seen.size() - 9) == "grant=abc");
}

TEST_CASE("fetch refuses an answer larger than max_body", "[http_client]") {
    ScriptedServer server("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'x'));
    FetchRequest req;
    req.url = server.url("/jwks");
    req.max_body = 10;
    auto r = run(req);
    CHECK_FALSE(r.ok());
    CHECK(r.what.rfind("receive:", 0) == 0);
}

TEST_CASE("fetch gives up at its timeout when the server is silent", "[http_client]") {
    ScriptedServer server("");
    FetchRequest req;
    req.url = server.url("/");
    req.timeout = std::chrono::milliseconds(200);
    auto r = run(req);
    CHECK(r.error == boost::beast::error::timeout);
}

TEST_CASE("fetch reports refused connections and bad URLs", "[http_client]") {
    std::string url;
    {
        asio::io_context ioc;
        tcp::acceptor a(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
        url = "http://127.0.0.1:" + std::to_string(a.local_endpoint().port()) + "/";
    }  // closed: nothing listens there now
    FetchRequest req;
    req.url = url;
    auto r = run(req);
    CHECK_FALSE(r.ok());
    CHECK(r.what.rfind("connect:", 0) == 0);

    req.url = "ftp://example.com/";
    CHECK(run(req).what.rfind("url:", 0) == 0);
    req.url = "not a url";
    CHECK_FALSE(run(req).ok());
}

}  // namespace gw::server
