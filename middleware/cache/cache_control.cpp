#include "middleware/cache/cache_control.h"

#include <algorithm>

#include "config/text.h"

namespace gw::middleware::cache {
namespace {

namespace http = boost::beast::http;
using config::iequals;  // not Beast 1.81's: see config/text.h
using config::trim_ows;

// delta-seconds; a malformed value is 0 so the response counts as stale (RFC 9111 4.2.1).
// Values past 2^31 are capped there, as 1.2.2 allows.
std::int64_t delta_seconds(std::string_view v) {
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    if (v.empty()) return 0;
    std::int64_t n = 0;
    for (char c : v) {
        if (c < '0' || c > '9') return 0;
        n = n * 10 + (c - '0');
        if (n > 2147483648LL) return 2147483648LL;
    }
    return n;
}

void apply_directive(CacheControl& cc, std::string_view name, std::string_view value) {
    if (iequals(name, "no-store")) cc.no_store = true;
    else if (iequals(name, "no-cache")) cc.no_cache = true;
    else if (iequals(name, "private")) cc.is_private = true;
    else if (iequals(name, "public")) cc.is_public = true;
    else if (iequals(name, "must-revalidate") || iequals(name, "proxy-revalidate"))
        cc.must_revalidate = true;
    // The first occurrence counts (RFC 9111 4.2.1 allows that or treating it as stale).
    else if (iequals(name, "max-age") && !cc.max_age) cc.max_age = delta_seconds(value);
    else if (iequals(name, "s-maxage") && !cc.s_maxage) cc.s_maxage = delta_seconds(value);
}

std::string_view joined(const http::fields& fields, http::field f, std::string& storage) {
    auto range = fields.equal_range(f);
    if (range.first == range.second) return {};
    if (std::next(range.first) == range.second) return range.first->value();
    for (auto it = range.first; it != range.second; ++it) {
        if (!storage.empty()) storage += ", ";
        storage += it->value();
    }
    return storage;
}

std::string_view opaque_tag(std::string_view tag) {
    tag = trim_ows(tag);
    if (tag.size() > 2 && tag[0] == 'W' && tag[1] == '/') tag.remove_prefix(2);
    return tag;
}

bool etag_listed(std::string_view list, std::string_view etag) {
    if (trim_ows(list) == "*") return true;
    std::string_view mine = opaque_tag(etag);
    while (!list.empty()) {
        auto comma = list.find(',');
        if (opaque_tag(list.substr(0, comma)) == mine) return true;
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return false;
}

}  // namespace

CacheControl parse_cache_control(std::string_view value) {
    CacheControl cc;
    while (!value.empty()) {
        auto comma = value.find(',');
        // A quoted value may hold commas (private="a, b"): skip to the closing quote first.
        auto quote = value.find('"');
        if (quote < comma) {
            auto close = value.find('"', quote + 1);
            comma = close == std::string_view::npos ? close : value.find(',', close);
        }
        std::string_view item = trim_ows(value.substr(0, comma));
        auto eq = item.find('=');
        std::string_view arg = eq == std::string_view::npos ? std::string_view()
                                                            : trim_ows(item.substr(eq + 1));
        apply_directive(cc, trim_ows(item.substr(0, eq)), arg);
        if (comma == std::string_view::npos) break;
        value.remove_prefix(comma + 1);
    }
    return cc;
}

RequestMode request_mode(const http::request_header<>& req) {
    if (req.method() != http::verb::get && req.method() != http::verb::head)
        return RequestMode::bypass;
    std::string storage;
    std::string_view value = joined(req, http::field::cache_control, storage);
    if (value.empty()) {
        // Pragma: no-cache counts only without Cache-Control (RFC 9111 5.4).
        return iequals(trim_ows(req[http::field::pragma]), "no-cache") ? RequestMode::revalidate
                                                                       : RequestMode::lookup;
    }
    CacheControl cc = parse_cache_control(value);
    if (cc.no_store) return RequestMode::bypass;
    if (cc.no_cache || (cc.max_age && *cc.max_age == 0)) return RequestMode::revalidate;
    return RequestMode::lookup;
}

bool cacheable_status(unsigned status) {
    switch (status) {
        case 200: case 203: case 204: case 300: case 301: case 308:
        case 404: case 405: case 410: case 414: case 501:
            return true;
        default:
            return false;
    }
}

StoreDecision store_decision(const ResponseFacts& f, Millis route_ttl) {
    StoreDecision d;
    const CacheControl& cc = f.cc;
    if (!cacheable_status(f.status) || cc.no_store || cc.is_private || f.has_set_cookie ||
        f.vary_star)
        return d;
    if (f.unverified_authorization && !cc.is_public && !cc.s_maxage && !cc.must_revalidate)
        return d;
    using std::chrono::seconds;
    if (cc.s_maxage) d.fresh_for = seconds(*cc.s_maxage);
    else if (cc.max_age) d.fresh_for = seconds(*cc.max_age);
    else if (f.expires_in) d.fresh_for = std::max(Millis(0), *f.expires_in);
    else d.fresh_for = route_ttl;
    if (cc.no_cache) d.fresh_for = Millis(0);
    d.must_revalidate = cc.must_revalidate || (cc.no_cache && !f.has_validator);
    // A copy that is never fresh is only worth keeping when it can be revalidated cheaply.
    d.store = d.fresh_for > Millis(0) || f.has_validator;
    return d;
}

bool not_modified(const http::request_header<>& req, std::string_view etag,
                  std::string_view last_modified) {
    std::string storage;
    std::string_view inm = joined(req, http::field::if_none_match, storage);
    if (!inm.empty()) return !etag.empty() && etag_listed(inm, etag);
    auto ims_text = req[http::field::if_modified_since];
    if (ims_text.empty() || last_modified.empty()) return false;
    auto ims = parse_http_date(ims_text);
    auto lm = parse_http_date(last_modified);
    return ims && lm && *lm <= *ims;
}

}  // namespace gw::middleware::cache
