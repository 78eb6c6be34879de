// Cache-Control, HTTP dates, Vary and conditional requests (RFC 9111): the header values come
// from callers and upstreams. The input is up to six lines: Cache-Control, Pragma, Vary,
// If-None-Match, If-Modified-Since, and an entry's ETag / Last-Modified (one value each).
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/beast/http.hpp>

#include "middleware/cache/cache_control.h"
#include "middleware/cache/cache_key.h"

namespace http = boost::beast::http;
using namespace gw::middleware::cache;

namespace {

void check(bool ok) {
    if (!ok) __builtin_trap();  // an invariant broke: libFuzzer reports it as a crash
}

std::array<std::string_view, 6> lines(std::string_view text) {
    std::array<std::string_view, 6> out{};
    for (auto& line : out) {
        auto newline = text.find('\n');
        line = text.substr(0, newline);
        if (newline == std::string_view::npos) break;
        text.remove_prefix(newline + 1);
    }
    return out;
}

// Beast refuses field values with CR, LF or NUL only in the parser; set() takes any bytes.
void set_if(http::request_header<>& req, http::field f, std::string_view v) {
    if (!v.empty()) req.set(f, v);
}

void check_store_decision(const CacheControl& cc, bool validator) {
    for (unsigned status : {200u, 206u, 404u}) {
        ResponseFacts facts;
        facts.status = status;
        facts.cc = cc;
        facts.has_validator = validator;
        StoreDecision d = store_decision(facts, Millis(1000));
        check(d.fresh_for >= Millis(0));
        if (d.store) check(cacheable_status(status) && !cc.no_store && !cc.is_private);
        if (cc.no_cache) check(d.fresh_for == Millis(0));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto [cache_control, pragma, vary, inm, ims, validator] = lines(text);
    CacheControl cc = parse_cache_control(cache_control);
    if (cc.max_age) check(*cc.max_age >= 0);
    if (cc.s_maxage) check(*cc.s_maxage >= 0);
    check_store_decision(cc, !validator.empty());
    (void)parse_http_date(ims);

    http::request_header<> req;
    req.method(http::verb::get);
    set_if(req, http::field::cache_control, cache_control);
    set_if(req, http::field::pragma, pragma);
    set_if(req, http::field::if_none_match, inm);
    set_if(req, http::field::if_modified_since, ims);
    RequestMode mode = request_mode(req);
    if (cc.no_store) check(mode == RequestMode::bypass);
    (void)not_modified(req, validator, validator);

    auto names = parse_vary(vary);
    for (const auto& name : names) check(!name.empty());
    check(variant_key("primary", names, req).size() == 64);  // hex SHA-256
    (void)sorted_query(text);
    return 0;
}
