// An upstream's retry:, circuit_breaker: and health_check: sections. Values are checked here so
// the proxy and the health checker only read them.
#include <algorithm>

#include "config/sections.h"
#include "config/units.h"

namespace gw::config {
namespace {

constexpr std::uint64_t kMaxAttempts = 10;
constexpr std::uint64_t kMaxThreshold = 1000;
// Methods retried when retry.methods is absent: the idempotent ones of RFC 9110 9.2.2 that a
// proxy may repeat without the caller's consent (TRACE is never proxied by default).
const std::vector<std::string> kIdempotent = {"GET", "HEAD", "OPTIONS", "PUT", "DELETE"};

void parse_retry_on(const Context& ctx, const Value& v, RetryPolicy& out) {
    for (const auto& s : read_string_or_list(ctx, v)) {
        if (s.text == "connect_failure") {
            out.on_connect_failure = true;
        } else if (s.text == "reset") {
            out.on_reset = true;
        } else if (s.text == "timeout") {
            out.on_timeout = true;
        } else if (auto code = parse_uint(s.text); code && *code >= 400 && *code <= 599) {
            out.statuses.push_back(static_cast<unsigned>(*code));
        } else {
            ctx.errors.add(s.mark, s.path,
                           "expected connect_failure, reset, timeout or a status 400..599, "
                           "got '" + s.text + "'");
        }
    }
}

}  // namespace

void parse_retry(const Context& ctx, const Value& v, RetryPolicy& out) {
    MapReader r(ctx, v, {{"attempts", "on", "backoff", "methods", "per_try_timeout"}, {}});
    if (!r.valid()) return;
    if (auto n = r.uint("attempts", 1, kMaxAttempts)) out.attempts = static_cast<unsigned>(*n);
    if (auto on = r.find("on")) {
        parse_retry_on(ctx, *on, out);
    } else {
        // The failures where the upstream surely did not act on the request, and its own
        // "try elsewhere" answers.
        out.on_connect_failure = out.on_reset = true;
        out.statuses = {502, 503, 504};
    }
    if (auto d = r.duration("backoff")) out.backoff = *d;
    if (auto d = r.duration("per_try_timeout", true)) out.per_try_timeout = *d;
    if (auto m = r.find("methods"))
        parse_methods(ctx, *m, out.methods);
    else
        out.methods = kIdempotent;
}

void parse_circuit_breaker(const Context& ctx, const Value& v, BreakerPolicy& out) {
    MapReader r(ctx, v, {{"consecutive_failures", "open_for"}, {}});
    if (auto n = r.uint("consecutive_failures", 1, kMaxThreshold))
        out.consecutive_failures = static_cast<unsigned>(*n);
    if (auto d = r.duration("open_for", true)) out.open_for = *d;
}

void parse_health_check(const Context& ctx, const Value& v, HealthCheck& out) {
    MapReader r(ctx, v, {{"path", "interval", "unhealthy_after", "healthy_after"}, {}});
    if (auto s = r.scalar("path")) {
        bool printable = std::all_of(s->text.begin(), s->text.end(), [](char c) {
            return c > ' ' && c < 0x7f;
        });
        if (s->text.empty() || s->text[0] != '/' || !printable)
            ctx.errors.add(s->mark, s->path, "expected a path starting with '/', got '" +
                                                 s->text + "'");
        else
            out.path = s->text;
    }
    if (auto d = r.duration("interval", true)) out.interval = *d;
    if (auto n = r.uint("unhealthy_after", 1, kMaxThreshold))
        out.unhealthy_after = static_cast<unsigned>(*n);
    if (auto n = r.uint("healthy_after", 1, kMaxThreshold))
        out.healthy_after = static_cast<unsigned>(*n);
}

}  // namespace gw::config
