#include <catch.hpp>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "config/respond_lines.h"
#include "config/text.h"
#include "middleware/header_ops.h"
#include "server/http_writer.h"

using namespace gw;
namespace http = boost::beast::http;

namespace {

// The head a respond: route gets with a message built field by field (the path taken when a
// step adds headers), as the session writes it.
std::string built_head(const config::Respond& r, const config::HeaderOps& rules, unsigned version,
                       bool keep_alive) {
    http::response<http::empty_body> res{static_cast<http::status>(r.status), version};
    for (const auto& [name, value] : r.headers) res.set(name, value);
    middleware::apply_header_ops(rules, res);
    std::string out;
    server::append_response_head(out, res,
                                 server::own_answer("rid", keep_alive, r.status, r.body.size()));
    return out;
}

std::string rendered_head(const config::Respond& r, const config::HeaderOps& rules,
                          unsigned version, bool keep_alive) {
    std::string out;
    server::append_fixed_response_head(out, version, r.status,
                                       config::render_respond_lines(r, rules), "rid",
                                       keep_alive);
    return out;
}

// Status line, then the header lines sorted with lower-case names: order may differ.
std::pair<std::string, std::vector<std::string>> normalised(const std::string& head) {
    std::vector<std::string> lines;
    std::size_t at = 0;
    for (auto end = head.find("\r\n"); end != std::string::npos && end != at;
         at = end + 2, end = head.find("\r\n", at))
        lines.push_back(head.substr(at, end - at));
    REQUIRE(head.substr(at) == "\r\n");
    REQUIRE(!lines.empty());
    std::string status = lines.front();
    lines.erase(lines.begin());
    for (auto& l : lines) {
        auto colon = l.find(':');
        REQUIRE(colon != std::string::npos);
        l = config::to_lower(l.substr(0, colon)) + l.substr(colon);
    }
    std::sort(lines.begin(), lines.end());
    return {status, lines};
}

}  // namespace

TEST_CASE("a respond: head rendered at load equals the one built per request",
          "[respond_lines]") {
    config::Respond r;
    r.body = R"({"ok":true})";
    r.headers = {{"content-type", "application/json"}, {"x-a", "1"}, {"cache-control", "no-store"}};
    config::HeaderOps rules;
    SECTION("headers only") {}
    SECTION("rules remove and replace") {
        rules.remove = {"x-a", "cache-control"};
        rules.set = {{"x-b", "2"}, {"content-type", "text/plain"}};
    }
    SECTION("the gateway's own headers in the config are not sent twice") {
        r.headers.push_back({"content-length", "999"});
        r.headers.push_back({"connection", "close"});
        r.headers.push_back({"x-request-id", "fixed"});
    }
    SECTION("a bodiless status keeps a configured Content-Length and gets none of its own") {
        r.status = 204;
        r.headers.push_back({"content-length", "0"});
    }
    SECTION("a status without a reason phrase of its own") { r.status = 299; }
    for (unsigned version : {10u, 11u})
        for (bool keep_alive : {true, false}) {
            INFO("HTTP/1." << version % 10 << " keep_alive " << keep_alive);
            CHECK(normalised(rendered_head(r, rules, version, keep_alive)) ==
                  normalised(built_head(r, rules, version, keep_alive)));
        }
}

TEST_CASE("respond lines carry the body's length", "[respond_lines]") {
    config::Respond r;
    r.body = "hello";
    CHECK(config::render_respond_lines(r, {}) == "Content-Length: 5\r\n");
    r.status = 304;
    CHECK(config::render_respond_lines(r, {}).empty());
}
