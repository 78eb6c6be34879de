// The route's rate-limit step ("rate_limit"): checks the request against every limit of the
// route in order. The first limit that refuses answers 429 rate_limited with Retry-After;
// what earlier limits took is given back, so a refused request counts against none of them.
// Every answer of the route (proxied, respond:, 429, other errors) carries RateLimit-Limit,
// RateLimit-Remaining and RateLimit-Reset of the most restrictive limit (IETF
// draft-ietf-httpapi-ratelimit-headers-06 fields; README "Rate limits" says how GCRA maps to
// them).
//
// Immutable after load, shared by all workers; the counters live in the limits' stores.
#pragma once

#include <vector>

#include "middleware/rate_limit/limit.h"
#include "middleware/step.h"

namespace gw::middleware::rate_limit {

// limits: at least one, each with its store and stats set.
StepPtr make_rate_limit_step(std::vector<Limit> limits);

}  // namespace gw::middleware::rate_limit
