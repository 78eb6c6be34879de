#include "server/admin.h"

#include <openssl/crypto.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include "config/text.h"
#include "middleware/cache/shared_cache.h"
#include "middleware/registry.h"
#include "middleware/step.h"
#include "server/admin_cache.h"
#include "server/log.h"
#include "server/stream_ops.h"
#include "server/target_report.h"

namespace gw::server {
namespace http = boost::beast::http;

namespace {
using Response = http::response<http::string_body>;

Response json_response(http::status status, std::string body, unsigned version) {
    Response res{status, version};
    res.set(http::field::content_type, "application/json");
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}

Response error_response(http::status status, std::string_view code, std::string_view message,
                        unsigned version) {
    std::string body = "{\"error\":{\"code\":\"";
    body += code;
    body += "\",\"message\":\"";
    log::append_json_escaped(body, message);
    body += "\"}}";
    return json_response(status, std::move(body), version);
}

bool token_ok(std::string_view expected, std::string_view authorization) {
    if (expected.empty()) return true;
    constexpr std::string_view kPrefix = "Bearer ";
    if (authorization.size() != kPrefix.size() + expected.size()) return false;
    if (!config::iequals(authorization.substr(0, kPrefix.size()), kPrefix)) return false;
    return CRYPTO_memcmp(authorization.data() + kPrefix.size(), expected.data(),
                         expected.size()) == 0;
}

void append_string_array(std::string& out, const std::vector<std::string>& items) {
    out += '[';
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) out += ',';
        out += '"';
        log::append_json_escaped(out, items[i]);
        out += '"';
    }
    out += ']';
}
}  // namespace

std::string routes_json(const config::Config& config) {
    std::string out = "{\"routes\":[";
    bool first = true;
    for (const auto& r : config.routes.routes()) {
        if (!first) out += ',';
        first = false;
        const auto& s = r.spec;
        out += "{\"name\":\"";
        log::append_json_escaped(out, s.name);
        out += "\",\"path\":\"";
        log::append_json_escaped(out, s.match.path);
        out += "\",\"methods\":";
        append_string_array(out, s.match.methods);
        out += ",\"host\":\"";
        log::append_json_escaped(out, s.match.host);
        out += '"';
        if (s.upstream) {
            out += ",\"upstream\":\"";
            log::append_json_escaped(out, s.upstream->name);
            out += '"';
        } else if (s.respond) {
            out += ",\"respond\":" + std::to_string(s.respond->status);
        }
        // Which steps guard the route (ip, auth, allow, ...): their names only, never settings.
        std::vector<std::string> steps;
        for (const auto& step : s.steps) steps.emplace_back(step->name());
        out += ",\"steps\":";
        append_string_array(out, steps);
        out += ",\"source\":\"";
        log::append_json_escaped(out, s.mark.str());
        out += "\"}";
    }
    out += "]}";
    return out;
}

AdminServer::AdminServer(asio::io_context& ioc, const asio::ip::tcp::endpoint& endpoint,
                         SharedState& shared, ReloadFn reload)
    : ioc_(ioc), acceptor_(ioc, endpoint), shared_(shared), reload_(std::move(reload)) {}

void AdminServer::start() {
    asio::co_spawn(ioc_, accept_loop(), log::on_exception("admin listener failed"));
}

void AdminServer::close() {
    boost::system::error_code ec;
    acceptor_.close(ec);
}

asio::awaitable<void> AdminServer::accept_loop() {
    for (;;) {
        auto [ec, socket] = co_await acceptor_.async_accept(kErasedTuple);
        if (ec) {
            if (!acceptor_.is_open()) co_return;
            continue;
        }
        asio::co_spawn(ioc_, session(std::move(socket)), log::on_exception("admin session failed"));
    }
}

asio::awaitable<void> AdminServer::session(asio::ip::tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    for (;;) {
        http::request<http::string_body> req;
        http::request_parser<http::string_body> parser;
        parser.header_limit(16 * 1024);
        parser.body_limit(64 * 1024);
        stream.expires_after(std::chrono::seconds(30));
        auto [ec, n] = co_await http::async_read(stream, buffer, parser, kErasedTuple);
        if (ec) break;
        req = parser.release();
        auto config = shared_.config.load();
        unsigned v = req.version();
        std::string_view target = req.target();
        target = target.substr(0, target.find('?'));
        Response res;
        if (!token_ok(config->admin.token, req[http::field::authorization])) {
            res = error_response(http::status::unauthorized, "unauthorized",
                                 "admin token required", v);
            res.set(http::field::www_authenticate, "Bearer realm=\"gateway-admin\"");
        } else if (target == "/healthz" && req.method() == http::verb::get) {
            res = json_response(http::status::ok, "{\"status\":\"ok\"}", v);
        } else if (target == "/readyz" && req.method() == http::verb::get) {
            // Unhealthy targets do not make the gateway unready: it still answers (503
            // circuit_open, other upstreams); the detail is for people and dashboards.
            bool draining = shared_.draining.load();
            res = json_response(draining ? http::status::service_unavailable : http::status::ok,
                                std::string("{\"status\":\"") +
                                    (draining ? "draining" : "ready") +
                                    "\",\"upstreams\":" + targets_json(*config) + "}",
                                v);
        } else if (target == "/metrics" && req.method() == http::verb::get) {
            res = Response{http::status::ok, v};
            res.set(http::field::content_type, "text/plain; version=0.0.4");
            res.body() = shared_.metrics->render();
            append_target_metrics(res.body(), *config);
            res.prepare_payload();
        } else if (target == "/routes" && req.method() == http::verb::get) {
            res = json_response(http::status::ok, routes_json(*config), v);
        } else if (target == "/cache" && req.method() == http::verb::delete_ &&
                   shared_.registry) {
            auto cache = middleware::cache::shared_cache(*shared_.registry);
            auto purged = co_await purge_cache(cache, config, std::string(req.target()));
            res = json_response(purged.status, std::move(purged.body), v);
        } else if (target == "/reload" && req.method() == http::verb::post) {
            auto errors = reload_();
            if (errors.empty()) {
                res = json_response(http::status::ok, "{\"status\":\"reloaded\"}", v);
            } else {
                std::string msg;
                for (const auto& e : errors) msg += e + "\n";
                res = error_response(http::status::bad_request, "reload_failed", msg, v);
            }
        } else {
            res = error_response(http::status::not_found, "not_found", "no such admin endpoint", v);
        }
        res.keep_alive(req.keep_alive());
        stream.expires_after(std::chrono::seconds(30));
        auto [wec, wn] = co_await http::async_write(stream, res, kErasedTuple);
        if (wec || !req.keep_alive()) break;
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
}

}  // namespace gw::server
