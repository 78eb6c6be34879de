// Cache-Control, HTTP dates, Vary and conditional requests (RFC 9111): the header values come
// from callers and upstreams. The input is up to six lines: Cache-Control, Pragma, Vary,
// If-None-Match, If-Modified-Since, and an entry's ETag / Last-Modified (one value each). The
// same lines also make an upstream response head: Cache-Control, Age (the Pragma line), Vary,
// Expires (the If-Modified-Since line) and Date (the last line).
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http.hpp>

#include "middleware/cache/cache_control.h"
#include "middleware/cache/cache_key.h"
#include "middleware/cache/cache_reply.h"

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
void set_if(http::fields& fields, http::field f, std::string_view v) {
    if (!v.empty()) fields.set(f, v);
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

    http::response_header<> res;
    res.result(http::status::ok);
    set_if(res, http::field::cache_control, cache_control);
    set_if(res, http::field::age, pragma);
    set_if(res, http::field::vary, vary);
    set_if(res, http::field::expires, ims);
    set_if(res, http::field::date, validator);
    ResponseFacts facts = facts_of(res, SystemTime(std::chrono::seconds(1'700'000'000)));
    check(facts.vary_star == (parse_vary(vary) == std::vector<std::string>{"*"}));
    check(age_of(res) >= Millis(0));

    auto names = parse_vary(vary);
    for (const auto& name : names) check(!name.empty());
    check(variant_key("primary", names, req).size() == 64);  // hex SHA-256
    (void)sorted_query(text);
    return 0;
}
