// A route's `cors:` section, compiled into its "cors" step (middleware/cors/), placed right
// after the ip step so that a preflight is answered before auth asks for credentials.
#include <boost/url/parse.hpp>

#include "config/sections.h"
#include "config/text.h"
#include "middleware/cors/cors_step.h"

namespace gw::config {
namespace {

namespace cors = middleware::cors;

constexpr const char* kOriginHint =
    "expected '*' or an origin such as https://app.example.com or https://*.example.com "
    "(scheme and host, optional port, no path)";

// One entry of origins: "*", "scheme://host[:port]" or "scheme://*.host[:port]".
void read_origin(const Context& ctx, const Scalar& s, cors::CorsPolicy& out) {
    std::string text = to_lower(s.text);
    if (text == "*") {
        out.any_origin = true;
        return;
    }
    auto sep = text.find("://");
    bool wildcard = sep != std::string::npos && text.compare(sep + 3, 2, "*.") == 0;
    // Checked as a URL with the "*" replaced by a label: what a browser would send.
    std::string probe = wildcard ? text.substr(0, sep + 3) + "x" + text.substr(sep + 4) : text;
    auto url = boost::urls::parse_absolute_uri(probe);
    if (sep == std::string::npos || !url || url->host().empty() || !url->encoded_path().empty() ||
        url->has_query() || url->has_fragment() || url->has_userinfo()) {
        ctx.errors.add(s.mark, s.path, std::string(kOriginHint) + ", got '" + s.text + "'");
        return;
    }
    if (wildcard) {
        out.schemes.push_back(text.substr(0, sep));
        out.suffixes.push_back(text.substr(sep + 4));  // ".example.com[:port]"
    } else {
        out.origins.push_back(std::move(text));
    }
}

std::optional<cors::CorsPolicy> read_policy(const Context& ctx, const Value& v) {
    MapReader r(ctx, v, {{"origins", "methods", "headers", "expose_headers", "credentials",
                          "max_age"}, {}});
    if (!r.valid()) return std::nullopt;
    const std::size_t errors_before = ctx.errors.size();
    cors::CorsPolicy out;
    if (r.require("origins")) {
        auto origins = *r.find("origins");
        auto items = read_list(ctx, origins);
        if (items.empty() && origins.node.IsSequence())
            ctx.error(origins.node, origins.path, "expected at least one origin");
        for (const auto& item : items)
            if (auto s = read_scalar(ctx, item)) read_origin(ctx, *s, out);
    }
    if (auto m = r.find("methods")) {
        parse_methods(ctx, *m, out.methods);
        out.methods_value = cors::join_list(out.methods);
    }
    if (auto h = r.find("headers")) {
        out.headers = read_header_names(ctx, *h);
        out.headers_value = cors::join_list(out.headers);
    }
    if (auto h = r.find("expose_headers"))
        out.expose_value = cors::join_list(read_header_names(ctx, *h));
    if (auto c = r.boolean("credentials")) out.credentials = *c;
    if (out.credentials && out.any_origin)
        if (auto s = r.scalar("credentials"))
            ctx.errors.add(s->mark, s->path,
                           "cannot be true with origins '*': browsers refuse credentials from "
                           "a wildcard origin; list the origins instead");
    if (auto d = r.duration("max_age"))
        out.max_age = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(*d).count());
    if (ctx.errors.size() != errors_before) return std::nullopt;
    return out;
}

}  // namespace

void parse_route_cors(const Context& ctx, const Value& v, RouteSpec& spec) {
    auto policy = read_policy(ctx, v);
    if (!policy) return;
    auto step = std::make_shared<cors::CorsStep>(std::move(*policy));
    auto at = spec.steps.begin();
    if (at != spec.steps.end() && (*at)->name() == "ip") ++at;
    spec.steps.insert(at, std::move(step));
}

}  // namespace gw::config
