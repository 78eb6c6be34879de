#include "middleware/cache/cache_key.h"

#include <algorithm>

#include "config/text.h"
#include "middleware/auth/digest.h"

namespace gw::middleware::cache {
namespace {

namespace http = boost::beast::http;

std::string sha256_hex(std::string_view data) {
    const auto digest = auth::sha256(data);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out(digest.size() * 2, '\0');
    for (std::size_t i = 0; i < digest.size(); ++i) {
        out[2 * i] = kHex[digest[i] >> 4];
        out[2 * i + 1] = kHex[digest[i] & 0xf];
    }
    return out;
}

// Each part is length-prefixed, so no value can forge the boundary of the next one.
void add_part(std::string& material, std::string_view part) {
    material += std::to_string(part.size());
    material += ':';
    material += part;
}

}  // namespace

std::string sorted_query(std::string_view query) {
    std::vector<std::string_view> params;
    while (!query.empty()) {
        auto amp = query.find('&');
        auto p = query.substr(0, amp);
        if (!p.empty()) params.push_back(p);
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
    auto name = [](std::string_view p) { return p.substr(0, p.find('=')); };
    std::stable_sort(params.begin(), params.end(),
                     [&](auto a, auto b) { return name(a) < name(b); });
    std::string out;
    for (auto p : params) {
        if (!out.empty()) out += '&';
        out += p;
    }
    return out;
}

std::string header_value(const http::fields& fields, std::string_view name) {
    std::string out;
    for (const auto& f : fields) {
        if (!config::iequals(f.name_string(), name)) continue;
        if (!out.empty()) out += ", ";
        out += config::trim_ows(f.value());
    }
    return out;
}

bool keyed_by_consumer(const CacheRule& rule, const RequestContext& ctx) {
    return ctx.identity.authenticated && !rule.shared;
}

std::string primary_key(const CacheRule& rule, const RequestContext& ctx,
                        const http::request_header<>& req) {
    std::string material;
    material.reserve(256);
    add_part(material, rule.route);
    add_part(material, "GET");  // HEAD is answered from GET entries; nothing else is cached
    add_part(material, ctx.host);
    add_part(material, ctx.path);
    add_part(material, sorted_query(ctx.query));
    for (const auto& name : rule.vary) add_part(material, header_value(req, name));
    if (keyed_by_consumer(rule, ctx)) {
        // The consumer name, and the subject for credentials that map to no consumer: one
        // caller never receives another's response.
        add_part(material, ctx.identity.authenticator);
        add_part(material, ctx.identity.consumer);
        add_part(material, ctx.identity.subject);
    }
    return sha256_hex(material);
}

std::string variant_key(std::string_view primary, const std::vector<std::string>& vary,
                        const http::request_header<>& req) {
    std::string material(primary);
    for (const auto& name : vary) {
        add_part(material, name);
        add_part(material, header_value(req, name));
    }
    return sha256_hex(material);
}

std::vector<std::string> parse_vary(std::string_view value) {
    std::vector<std::string> names;
    while (!value.empty()) {
        auto comma = value.find(',');
        auto name = config::trim_ows(value.substr(0, comma));
        if (name == "*") return {"*"};
        if (!name.empty()) {
            std::string lower(name);
            for (auto& c : lower)
                c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            if (std::find(names.begin(), names.end(), lower) == names.end())
                names.push_back(std::move(lower));
        }
        if (comma == std::string_view::npos) break;
        value.remove_prefix(comma + 1);
    }
    std::sort(names.begin(), names.end());
    return names;
}

}  // namespace gw::middleware::cache
