// The cache's ResponseObserver for one request that went to the upstream: it copies a
// storable response (up to the route's max_body; the client gets it streamed either way) and
// stores it at the end, turns a 304 to its own revalidation into the stored copy, and stands a
// stale copy in for an upstream failure (stale_if_error). Ends the request's collapsing flight
// once the entry is stored, or as soon as it is clear there will be none.
// One request, one worker thread.
#pragma once

#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "middleware/cache/cache_rule.h"
#include "middleware/cache/entry.h"
#include "middleware/cache/flights.h"
#include "middleware/cache/shared_cache.h"
#include "middleware/response_observer.h"
#include "middleware/step.h"

namespace gw::middleware::cache {

struct CaptureSetup {
    std::shared_ptr<SharedCache> cache;
    std::shared_ptr<Store> store;  // a miss copies it: a put may outlive the request
    std::shared_ptr<const CacheRule> rule;
    boost::asio::any_io_executor executor;  // the worker's: stores run there
    std::string key;                        // primary key
    RequestHead request;                    // the client's head, for the variant key
    std::string path;
    bool unverified_authorization = false;
    EntryPtr previous;        // the stored copy, stale or being revalidated; may be null
    bool revalidating = false;  // the request upstream carries the previous copy's validators
    FlightLease lease;        // held when this request leads a flight
};

class ResponseCapture : public ResponseObserver {
public:
    ResponseCapture(CaptureSetup setup, RequestContext& ctx)
        : s_(std::move(setup)), ctx_(ctx) {}

    bool on_head(const ResponseHead& head) override;
    void on_body(std::string_view piece) override;
    void on_end() override;
    bool on_failure() override;
    const Reply& replacement() const override { return reply_; }

private:
    bool answer_from_previous(bool stale, std::string_view x_cache);
    bool refresh_previous(const ResponseHead& not_modified);
    void start_entry(const ResponseHead& head, const StoreDecision& d, SystemTime now);
    void store(std::shared_ptr<Entry> entry);
    void set_x_cache(std::string_view value);

    CaptureSetup s_;
    RequestContext& ctx_;
    std::shared_ptr<Entry> building_;
    std::string body_;
    Reply reply_;
};

}  // namespace gw::middleware::cache
