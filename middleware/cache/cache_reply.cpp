#include "middleware/cache/cache_reply.h"

#include "config/text.h"
#include "middleware/cache/cache_key.h"

namespace gw::middleware::cache {
namespace {

namespace http = boost::beast::http;

bool skipped(std::string_view name) {
    using config::iequals;
    return iequals(name, "content-length") || iequals(name, "transfer-encoding") ||
           iequals(name, "age") || iequals(name, "x-request-id") || iequals(name, "x-cache") ||
           iequals(name, "connection") || iequals(name, "keep-alive");
}

// The headers a 304 carries (RFC 9110 15.4.5).
bool kept_in_304(std::string_view name) {
    for (std::string_view n : {"cache-control", "content-location", "date", "etag", "expires",
                               "last-modified", "vary"})
        if (name == n) return true;
    return false;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace

ResponseFacts facts_of(const http::response_header<>& head, SystemTime now) {
    ResponseFacts f;
    f.status = head.result_int();
    f.cc = parse_cache_control(header_value(head, "cache-control"));
    f.has_set_cookie = head.count(http::field::set_cookie) > 0;
    auto vary = parse_vary(header_value(head, "vary"));
    f.vary_star = vary.size() == 1 && vary.front() == "*";
    f.has_validator = head.count(http::field::etag) > 0 ||
                      head.count(http::field::last_modified) > 0;
    if (head.count(http::field::expires) > 0) {
        // An invalid Expires (often "0") means already expired (RFC 9111 5.3).
        auto expires = parse_http_date(head[http::field::expires]);
        auto date = parse_http_date(head[http::field::date]);
        f.expires_in = expires ? std::chrono::duration_cast<Millis>(*expires - date.value_or(now))
                               : Millis(0);
    }
    return f;
}

Millis age_of(const http::fields& head) {
    auto cc = parse_cache_control("max-age=" + std::string(head[http::field::age]));
    return std::chrono::seconds(cc.max_age.value_or(0));
}

void merge_stored_headers(const http::fields& head, config::HeaderList& into) {
    std::vector<std::string> replaced;
    for (const auto& f : head) {
        if (skipped(f.name_string())) continue;
        std::string name = lower(f.name_string());
        if (std::find(replaced.begin(), replaced.end(), name) == replaced.end()) {
            std::erase_if(into, [&](const auto& h) { return h.first == name; });
            replaced.push_back(name);
        }
        into.emplace_back(std::move(name), std::string(f.value()));
    }
}

Reply entry_reply(const EntryPtr& e, const RequestHead& req, SystemTime now, bool stale) {
    Reply r;
    auto age = std::chrono::duration_cast<std::chrono::seconds>(e->age(now));
    r.headers.emplace_back("age", std::to_string(age.count()));
    if (stale) r.headers.emplace_back("warning", "111 - \"Revalidation Failed\"");
    if (not_modified(req, e->etag, e->last_modified)) {
        r.status = 304;
        for (const auto& h : e->headers)
            if (kept_in_304(h.first)) r.headers.push_back(h);
        return r;
    }
    r.status = e->status;
    // Aliasing pointers: the reply keeps the entry alive, nothing is copied.
    r.shared_headers = std::shared_ptr<const config::HeaderList>(e, &e->headers);
    r.shared_body = e->body;
    return r;
}

}  // namespace gw::middleware::cache
