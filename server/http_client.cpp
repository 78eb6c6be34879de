#include "server/http_client.h"

#include <openssl/ssl.h>

#include <map>
#include <memory>
#include <optional>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>

#include "server/stream_ops.h"
#include "server/tls.h"

namespace gw::server {
namespace {

namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr std::uint32_t kHeaderLimit = 64 * 1024;

struct Url {
    bool tls = false;
    std::string host;
    std::string port;
    std::string target;       // path and query, "/" at least
    std::string host_header;  // authority without a default port
};

std::optional<Url> parse_url(const std::string& text) {
    auto parsed = boost::urls::parse_uri(text);
    if (!parsed) return std::nullopt;
    const auto& u = *parsed;
    Url out;
    if (u.scheme() == "https")
        out.tls = true;
    else if (u.scheme() != "http")
        return std::nullopt;
    out.host = u.host_type() == boost::urls::host_type::ipv6 ? std::string(u.host_address())
                                                              : std::string(u.host());
    if (out.host.empty()) return std::nullopt;
    out.port = u.has_port() ? std::string(u.port()) : (out.tls ? "443" : "80");
    out.target = std::string(u.encoded_path());
    if (out.target.empty()) out.target = "/";
    if (u.has_query()) out.target += "?" + std::string(u.encoded_query());
    out.host_header = std::string(u.encoded_host_and_port());
    return out;
}

// Client contexts per thread, keyed by their settings: loading a CA store is not free, and
// these calls repeat (every token refresh, every introspection miss).
std::shared_ptr<asio::ssl::context> client_context(const config::UpstreamTls& t) {
    thread_local std::map<std::string, std::shared_ptr<asio::ssl::context>> cache;
    std::string key = std::string(t.verify ? "1" : "0") + '\n' + t.ca_file + '\n' + t.cert_file +
                      '\n' + t.key_file;
    auto& slot = cache[key];
    if (!slot) slot = make_client_tls(t);
    return slot;
}

FetchResult failure(boost::system::error_code ec, std::string_view stage) {
    FetchResult r;
    r.error = ec;
    r.what = std::string(stage) + ": " + ec.message();
    return r;
}

// Resolves under the deadline: getaddrinfo has no timeout of its own.
asio::awaitable<std::pair<boost::system::error_code, tcp::resolver::results_type>> resolve(
    asio::any_io_executor ex, const Url& url, std::chrono::steady_clock::time_point deadline) {
    tcp::resolver resolver(ex);
    asio::steady_timer timer(ex, deadline);
    using namespace asio::experimental::awaitable_operators;
    auto raced = co_await (resolver.async_resolve(url.host, url.port, kErasedTuple) ||
                           timer.async_wait(kErasedTuple));
    if (raced.index() == 1) co_return std::pair{beast::error::timeout, tcp::resolver::results_type{}};
    auto [ec, results] = std::get<0>(std::move(raced));
    co_return std::pair{ec, std::move(results)};
}

template <class Stream>
asio::awaitable<FetchResult> exchange(Stream& stream, const Url& url, const FetchRequest& req) {
    http::request<http::string_body> msg{http::string_to_verb(req.method), url.target, 11};
    if (msg.method() == http::verb::unknown) msg.method_string(req.method);
    msg.set(http::field::host, url.host_header);
    msg.set(http::field::user_agent, "gateway");
    msg.set(http::field::connection, "close");
    for (const auto& [name, value] : req.headers) msg.set(name, value);
    msg.body() = req.body;
    if (!req.body.empty() || msg.method() == http::verb::post || msg.method() == http::verb::put)
        msg.prepare_payload();
    auto [wec, wn] = co_await http::async_write(stream, msg, kErasedTuple);
    if (wec) co_return failure(wec, "send");
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.header_limit(kHeaderLimit);
    parser.body_limit(req.max_body);
    auto [rec, rn] = co_await http::async_read(stream, buffer, parser, kErasedTuple);
    if (rec) co_return failure(rec, "receive");
    FetchResult out;
    auto& res = parser.get();
    out.response.status = res.result_int();
    for (const auto& field : res) {
        std::string name(field.name_string());
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        out.response.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    out.response.body = std::move(res.body());
    co_return out;
}

}  // namespace

std::string_view FetchResponse::header(std::string_view name) const {
    for (const auto& [n, v] : headers) {
        if (n == name) return v;
    }
    return {};
}

asio::awaitable<FetchResult> fetch(asio::any_io_executor ex, FetchRequest req) {
    auto url = parse_url(req.url);
    if (!url) co_return failure(asio::error::invalid_argument, "url");
    auto deadline = std::chrono::steady_clock::now() + req.timeout;
    auto [rec, endpoints] = co_await resolve(ex, *url, deadline);
    if (rec) co_return failure(rec, "resolve");

    beast::tcp_stream tcp_stream(ex);
    tcp_stream.expires_at(deadline);
    auto [cec, ep] = co_await tcp_stream.async_connect(endpoints, kErasedTuple);
    if (cec) co_return failure(cec, "connect");
    if (!url->tls) {
        auto out = co_await exchange(tcp_stream, *url, req);
        boost::system::error_code ignored;
        tcp_stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
        co_return out;
    }
    std::shared_ptr<asio::ssl::context> ctx;
    try {
        ctx = client_context(req.tls);
    } catch (const boost::system::system_error& e) {
        co_return failure(e.code(), "tls setup");
    }
    beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp_stream), *ctx);
    const std::string& sni = req.tls.sni.empty() ? url->host : req.tls.sni;
    if (!SSL_set_tlsext_host_name(stream.native_handle(), sni.c_str()))
        co_return failure(asio::error::invalid_argument, "tls sni");
    if (req.tls.verify) stream.set_verify_callback(asio::ssl::host_name_verification(sni));
    auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::client, kErasedTuple);
    if (hec) co_return failure(hec, "tls handshake");
    auto out = co_await exchange(stream, *url, req);
    // close_notify is a courtesy here: the answer is complete, and the deadline bounds it.
    co_await stream.async_shutdown(kErasedTuple);
    co_return out;
}

}  // namespace gw::server
