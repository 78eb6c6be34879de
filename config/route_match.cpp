// The parts of a route that describe HTTP messages: match: (path, methods, host, headers) and
// the request/response header operations. Names are lower-cased and methods upper-cased here,
// once, so matching never folds case on the hot path.
#include <algorithm>

#include "config/sections.h"
#include "config/text.h"

namespace gw::config {
namespace {

bool valid_host_pattern(std::string_view host) {
    if (host.rfind("*.", 0) == 0) host.remove_prefix(2);  // "*.example.com"
    if (host.empty()) return false;
    return std::all_of(host.begin(), host.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
    });
}

void parse_header_ops(const Context& ctx, const Value& v, HeaderOps& out) {
    MapReader r(ctx, v, {{"set", "remove"}, {}});
    if (auto s = r.find("set")) out.set = read_header_map(ctx, *s);
    if (auto s = r.find("remove")) out.remove = read_header_names(ctx, *s);
}

}  // namespace

void parse_methods(const Context& ctx, const Value& v, std::vector<std::string>& out) {
    for (const auto& s : read_string_or_list(ctx, v)) {
        if (!is_token(s.text)) {
            ctx.errors.add(s.mark, s.path, "expected an HTTP method, got '" + s.text + "'");
            continue;
        }
        std::string method = to_upper(s.text);
        if (std::find(out.begin(), out.end(), method) == out.end()) out.push_back(method);
    }
}

std::vector<std::string> read_header_names(const Context& ctx, const Value& v) {
    std::vector<std::string> out;
    for (const auto& s : read_string_or_list(ctx, v)) {
        if (!is_token(s.text)) {
            ctx.errors.add(s.mark, s.path, "expected a header name, got '" + s.text + "'");
            continue;
        }
        out.push_back(to_lower(s.text));
    }
    return out;
}

HeaderList read_header_map(const Context& ctx, const Value& v) {
    HeaderList out;
    for (const auto& [name, value] : read_entries(ctx, v)) {
        if (!is_token(name.text)) {
            ctx.errors.add(name.mark, name.path,
                           "expected a header name, got '" + name.text + "'");
            continue;
        }
        auto text = read_string(ctx, value);
        if (!text) continue;
        if (text->find_first_of("\r\n") != std::string::npos) {
            // A newline would let a header value inject further headers.
            ctx.error(value.node, value.path, "a header value cannot contain a line break");
            continue;
        }
        out.emplace_back(to_lower(name.text), std::move(*text));
    }
    return out;
}

void parse_match(const Context& ctx, const Value& v, RouteSpec& spec) {
    MapReader r(ctx, v, {{"path", "methods", "host", "headers"}, {}});
    if (!r.valid()) return;
    if (r.require("path")) {
        if (auto s = r.scalar("path")) {
            spec.match.path = s->text;
            spec.path_mark = s->mark;
            if (s->text.empty()) ctx.errors.add(s->mark, s->path, "expected a path");
        }
    }
    if (auto m = r.find("methods")) parse_methods(ctx, *m, spec.match.methods);
    if (auto s = r.scalar("host")) {
        if (valid_host_pattern(s->text)) spec.match.host = to_lower(s->text);
        else ctx.errors.add(s->mark, s->path, "expected a host name or *.domain, got '" +
                                                  s->text + "'");
    }
    if (auto h = r.find("headers")) spec.match.headers = read_header_map(ctx, *h);
}

void parse_route_headers(const Context& ctx, const Value& v, RouteSpec& spec) {
    MapReader r(ctx, v, {{"request", "response"}, {}});
    if (auto q = r.find("request")) parse_header_ops(ctx, *q, spec.request_headers);
    if (auto s = r.find("response")) parse_header_ops(ctx, *s, spec.response_headers);
}

}  // namespace gw::config
