#include "middleware/cache/response_capture.h"

#include <boost/asio/co_spawn.hpp>

#include "middleware/cache/cache_key.h"
#include "middleware/cache/cache_reply.h"
#include "server/log.h"

namespace gw::middleware::cache {
namespace {
namespace http = boost::beast::http;
}  // namespace

void ResponseCapture::set_x_cache(std::string_view value) {
    for (auto& [name, v] : ctx_.response_headers)
        if (name == "x-cache") v = value;
}

bool ResponseCapture::answer_from_previous(bool stale, std::string_view x_cache) {
    reply_ = entry_reply(s_.previous, s_.request, std::chrono::system_clock::now(), stale);
    set_x_cache(x_cache);
    return true;
}

bool ResponseCapture::on_failure() {
    s_.lease.release();
    if (!s_.previous || !s_.previous->usable_on_error(std::chrono::system_clock::now()))
        return false;
    return answer_from_previous(true, "STALE");
}

// A 304 to the validators the cache added: the stored copy is good again. Its freshness comes
// from the 304's headers merged into the stored ones (RFC 9111 4.3.4).
bool ResponseCapture::refresh_previous(const ResponseHead& not_modified) {
    auto now = std::chrono::system_clock::now();
    auto refreshed = std::make_shared<Entry>(*s_.previous);  // the body is shared, not copied
    merge_stored_headers(not_modified, refreshed->headers);
    ResponseHead merged;
    merged.result(refreshed->status);
    for (const auto& [name, value] : refreshed->headers) merged.insert(name, value);
    ResponseFacts f = facts_of(merged, now);
    f.unverified_authorization = s_.unverified_authorization;
    StoreDecision d = store_decision(f, s_.rule->ttl);
    refreshed->stored_at = now;
    refreshed->initial_age = age_of(not_modified);
    refreshed->fresh_for = d.fresh_for;
    refreshed->must_revalidate = d.must_revalidate;
    refreshed->stale_if_error = s_.rule->stale_if_error;
    s_.previous = refreshed;
    if (d.store) store(std::move(refreshed));
    return answer_from_previous(false, "REVALIDATED");
}

bool ResponseCapture::on_head(const ResponseHead& head) {
    const unsigned status = head.result_int();
    if (s_.revalidating && status == 304) return refresh_previous(head);
    if (status >= 500 && on_failure()) return true;
    if (s_.request.method() != http::verb::get) return false;  // HEAD: no body to keep
    auto now = std::chrono::system_clock::now();
    ResponseFacts f = facts_of(head, now);
    f.unverified_authorization = s_.unverified_authorization;
    StoreDecision d = store_decision(f, s_.rule->ttl);
    auto length = head[http::field::content_length];
    bool too_large = !length.empty() && length.size() < 20 &&
                     std::stoull(std::string(length)) > s_.rule->max_body;
    if (!d.store || too_large) {
        // Followers need not wait for a response that will not be kept.
        s_.lease.release();
        return false;
    }
    start_entry(head, d, now);
    if (!length.empty()) body_.reserve(std::stoull(std::string(length)));
    return false;
}

void ResponseCapture::start_entry(const ResponseHead& head, const StoreDecision& d,
                                  SystemTime now) {
    building_ = std::make_shared<Entry>();
    Entry& e = *building_;
    e.status = head.result_int();
    merge_stored_headers(head, e.headers);
    e.stored_at = now;
    e.initial_age = age_of(head);
    e.fresh_for = d.fresh_for;
    e.stale_if_error = s_.rule->stale_if_error;
    e.must_revalidate = d.must_revalidate;
    e.etag = std::string(head[http::field::etag]);
    e.last_modified = std::string(head[http::field::last_modified]);
    e.vary = parse_vary(header_value(head, "vary"));
    e.route = s_.rule->route;
    e.path = s_.path;
}

void ResponseCapture::on_body(std::string_view piece) {
    if (!building_) return;
    if (body_.size() + piece.size() > s_.rule->max_body) {
        // Past max_body the response keeps streaming to the client, uncached.
        building_.reset();
        std::string().swap(body_);
        s_.lease.release();
        return;
    }
    body_.append(piece);
}

void ResponseCapture::on_end() {
    if (!building_) return;
    building_->body = std::make_shared<const std::string>(std::move(body_));
    store(std::move(building_));
}

// Stores the entry (under the variant key when the upstream varies, with a marker naming the
// headers under the primary key), then ends the flight: followers find it when they wake.
void ResponseCapture::store(std::shared_ptr<Entry> entry) {
    std::string key = s_.key;
    EntryPtr marker;
    if (!entry->vary.empty()) {
        auto m = std::make_shared<Entry>();
        m->vary_marker = true;
        m->vary = entry->vary;
        m->route = entry->route;
        m->path = entry->path;
        // The entry's lifetime, so a store that expires entries itself (Redis) keeps the
        // marker as long as the response it points to.
        m->stored_at = entry->stored_at;
        m->initial_age = entry->initial_age;
        m->fresh_for = entry->fresh_for;
        m->stale_if_error = entry->stale_if_error;
        marker = std::move(m);
        key = variant_key(s_.key, entry->vary, s_.request);
    }
    // A store without I/O takes both now (a store answers put_at_once the same way every time).
    std::string primary = s_.key;
    EntryPtr stored = std::move(entry);
    if ((!marker || s_.store->put_at_once(primary, marker)) &&
        s_.store->put_at_once(key, stored)) {
        s_.lease.release();
        return;
    }
    // `cache` keeps the flights (the lease) alive until the coroutine ends.
    auto run = []([[maybe_unused]] std::shared_ptr<SharedCache> cache,
                  std::shared_ptr<Store> store,
                  std::string primary, EntryPtr marker, std::string key, EntryPtr entry,
                  FlightLease lease) -> boost::asio::awaitable<void> {
        if (marker) co_await store->put(std::move(primary), std::move(marker));
        co_await store->put(std::move(key), std::move(entry));
        lease.release();
    };
    boost::asio::co_spawn(s_.executor,
                          run(s_.cache, s_.store, s_.key, std::move(marker), std::move(key),
                              std::move(stored), std::move(s_.lease)),
                          log::on_exception("cache store failed"));
}

}  // namespace gw::middleware::cache
