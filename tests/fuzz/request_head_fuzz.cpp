// The request head in front of the proxy: raw bytes parsed as the session parses them, then
// the head handling of server/session.cpp and server/upstream_head.cpp applied to it (target
// normalisation, routing, rewrite, client address, request id, traceparent, hop-by-hop
// stripping, forwarded headers, route header rules, upstream credentials). The head sent
// upstream must serialise and parse back as exactly one request with the same target.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "middleware/header_ops.h"
#include "routes/path.h"
#include "server/forwarding.h"
#include "server/upstream_head.h"

namespace asio = boost::asio;
namespace http = boost::beast::http;
using namespace gw;

namespace {

void check(bool ok) {
    if (!ok) __builtin_trap();  // an invariant broke: libFuzzer reports it as a crash
}

config::RouteSpec route(std::string name, std::string path, int line) {
    config::RouteSpec s;
    s.name = std::move(name);
    s.match.path = std::move(path);
    s.mark = {"fuzz.yaml", line, 3};
    s.path_mark = s.mark;
    s.respond = config::Respond{};
    return s;
}

const routes::RouteTable& table() {
    static const routes::RouteTable t = [] {
        std::vector<config::RouteSpec> specs;
        specs.push_back(route("strip", "/api/*", 1));
        specs.back().rewrite.strip_prefix = "/api";
        specs.back().request_headers.set = {{"x-route", "strip"}};
        specs.back().request_headers.remove = {"cookie", "x-remove-me"};
        specs.push_back(route("params", "/items/{id}/parts/{part}", 2));
        specs.back().rewrite.path = "/v2/{part}/of/{id}";
        specs.push_back(route("regex", "~ ^/re/[a-z]+$", 3));
        specs.push_back(route("host", "/exact", 4));
        specs.back().match.host = "*.example.com";
        specs.push_back(route("any", "/*", 5));
        std::vector<std::string> errors;
        auto built = routes::RouteTable::build(std::move(specs), errors);
        check(errors.empty());
        return built;
    }();
    return t;
}

// One upstream credential of each kind; short secrets make echoes of them easy to find.
config::Credentials credentials(std::size_t pick) {
    config::Credentials c;
    switch (pick % 4) {
    case 0: c.type = config::Credentials::Type::bearer; c.value = "tok"; break;
    case 1: c.type = config::Credentials::Type::basic; c.value = "u:p"; break;
    case 2: c.type = config::Credentials::Type::header; c.name = "x-key"; c.value = "k"; break;
    default: c.type = config::Credentials::Type::query; c.name = "k"; c.value = "s"; break;
    }
    return c;
}

const std::vector<config::Cidr>& trusted() {
    static const std::vector<config::Cidr> list = {
        {asio::ip::make_address("10.0.0.0"), 8}, {asio::ip::make_address("::1"), 128}};
    return list;
}

void check_client_ip(const http::fields& req) {
    const auto peer = asio::ip::make_address("10.1.2.3");
    std::string ip = server::client_ip(peer, true, server::joined_values(req, "x-forwarded-for"),
                                       trusted());
    boost::system::error_code ec;
    asio::ip::make_address(ip, ec);
    check(!ec);  // always an address: the peer's, or one read from the header
}

// The upstream head must read back as one request with the target it was given: nothing a
// client sent may split it.
http::request<http::empty_body> parse_back(const std::string& wire, std::string_view target) {
    http::request_parser<http::empty_body> parser;
    boost::system::error_code ec;
    std::size_t used = parser.put(asio::buffer(wire), ec);
    check(!ec && parser.is_header_done() && used == wire.size());
    check(parser.get().target() == target);
    return parser.release();
}

void forward(http::request<http::empty_body> req, const routes::SplitTarget& target,
             bool peer_trusted, std::size_t pick) {
    std::string host = server::host_without_port(req[http::field::host]);
    routes::RequestView view{req.method_string(), host, target.path, &req};
    auto match = table().match(view);
    if (match.status != routes::MatchStatus::found) return;
    std::string path = routes::rewrite_path(*match.route, target.path, match.params);
    check(!path.empty() && path.front() == '/');
    if (!target.query.empty()) path += "?" + target.query;
    const config::Credentials creds = credentials(pick);
    server::append_query_credential(creds, path);
    std::string id;
    server::assign_request_id(id, req["x-request-id"]);
    server::UpstreamHead head;
    head.prepare(req, {"10.1.2.3", peer_trusted, pick % 2 == 0, id},
                 match.route->spec.request_headers, creds, false, std::nullopt);
    head.point_at(path, "up.example.com");
    for (auto f : {http::field::connection, http::field::transfer_encoding, http::field::te})
        check(req.count(f) == 0);
    std::string wire;
    head.append(wire, req);
    auto sent = parse_back(wire, path);
    check(sent.count(http::field::host) == 1 && sent.count("x-forwarded-for") == 1);
    if (!peer_trusted) check(sent["x-forwarded-for"] == "10.1.2.3");
    // A redirect that echoes the query credential never shows it to the caller.
    http::fields echoed;
    echoed.set(http::field::location, path);
    server::strip_query_credential(echoed, creds);
    if (creds.type == config::Credentials::Type::query)
        check(echoed[http::field::location].find("k=s") == std::string_view::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    http::request_parser<http::empty_body> parser;
    parser.header_limit(8 * 1024);
    boost::system::error_code ec;
    parser.put(asio::buffer(data, size), ec);
    if (!parser.is_header_done()) return 0;
    auto& req = parser.get();
    std::string id;
    server::assign_request_id(id, req["x-request-id"]);
    check(!id.empty() && id.size() <= 128);
    check(server::next_traceparent(req["traceparent"]).size() == server::kTraceparentSize);
    check_client_ip(req);
    auto target = routes::normalize_target(req.target());
    if (!target) return 0;
    // Normalised: no dot-segments left to climb out of a prefix.
    check(target->path.find("/../") == std::string::npos && !target->path.ends_with("/.."));
    forward(req, *target, size % 3 == 0, size);
    return 0;
}
