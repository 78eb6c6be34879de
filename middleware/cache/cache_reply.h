// From upstream heads to entries, and from entries to answers: the header work the cache step
// and its response capture share.
#pragma once

#include <boost/beast/http/message.hpp>

#include "config/types.h"
#include "middleware/cache/cache_control.h"
#include "middleware/cache/entry.h"
#include "middleware/step.h"

namespace gw::middleware::cache {

// Store-relevant facts of an upstream head (all but unverified_authorization, which depends on
// the request). `now` stands in for a missing Date.
ResponseFacts facts_of(const boost::beast::http::response_header<>& head, SystemTime now);

// The upstream's Age header (0 when absent or malformed).
Millis age_of(const boost::beast::http::fields& head);

// The headers a stored copy keeps: all but framing (Content-Length, Transfer-Encoding), Age and
// the gateway's per-request ones (X-Request-Id, X-Cache), names lower-case. Replaces the
// values of names already in `into` (a 304 refreshing an entry, RFC 9111 4.3.4).
void merge_stored_headers(const boost::beast::http::fields& head, config::HeaderList& into);

// The answer from an entry: the stored response, or 304 Not Modified when the request's
// If-None-Match / If-Modified-Since match it; with Age. `stale` adds the Warning of a copy
// served because the upstream failed (RFC 7234 5.5.1, code 111).
Reply entry_reply(const EntryPtr& e, const RequestHead& req, SystemTime now, bool stale);

}  // namespace gw::middleware::cache
