// The router: random route tables (exact, parameter, prefix and regex paths, methods, hosts,
// rewrites) and random request targets. A table that builds must answer every request exactly
// as a plain scan of its routes in precedence order would, and rewrite without crashing.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>

#include "routes/compiled_matcher.h"
#include "routes/path.h"
#include "routes/route_table.h"

using namespace gw::routes;

namespace {

void check(bool ok) {
    if (!ok) __builtin_trap();  // an invariant broke: libFuzzer reports it as a crash
}

constexpr const char* kMethods[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"};

std::string fuzzed_path(FuzzedDataProvider& in) {
    std::string body = in.ConsumeRandomLengthString(48);
    switch (in.ConsumeIntegralInRange(0, 3)) {
    case 0: return "/" + body;             // exact or {param} pattern
    case 1: return "/" + body + "/*";      // prefix
    case 2: return "~ " + body;            // regex
    default: return body;                  // anything, often refused
    }
}

gw::config::RouteSpec fuzzed_route(FuzzedDataProvider& in, int n) {
    gw::config::RouteSpec s;
    s.name = "r" + std::to_string(n);
    s.key = "routes[" + std::to_string(n) + "]";
    s.mark = {"routes.yaml", n + 1, 3};
    s.path_mark = {"routes.yaml", n + 1, 9};
    s.match.path = fuzzed_path(in);
    for (const char* m : kMethods)
        if (in.ConsumeBool()) s.match.methods.push_back(m);
    if (in.ConsumeBool()) s.match.host = in.ConsumeRandomLengthString(24);
    if (in.ConsumeBool()) s.match.headers.push_back({"x-v", in.ConsumeRandomLengthString(8)});
    if (in.ConsumeBool()) s.rewrite.path = in.ConsumeRandomLengthString(32);
    else if (in.ConsumeBool()) s.rewrite.strip_prefix = in.ConsumeRandomLengthString(16);
    s.respond = gw::config::Respond{};
    return s;
}

// The route a linear scan picks: the first in precedence order that takes the request.
MatchStatus expected(const RouteTable& table, const RequestView& r, const CompiledRoute*& route) {
    bool path_fits = false;
    for (const auto& candidate : table.routes()) {
        const auto& m = *candidate.matcher;
        if (!m.matches_host(r.host) || !m.matches_headers(r.headers)) continue;
        if (!m.path().match(r.path, nullptr)) continue;
        if (m.allows(r.method)) {
            route = &candidate;
            return MatchStatus::found;
        }
        path_fits = true;
    }
    return path_fits ? MatchStatus::method_not_allowed : MatchStatus::not_found;
}

void check_request(const RouteTable& table, FuzzedDataProvider& in) {
    std::string target = in.ConsumeRandomLengthString(96);
    std::string host = in.ConsumeRandomLengthString(24);
    boost::beast::http::fields headers;
    if (in.ConsumeBool()) headers.set("x-v", in.ConsumeRandomLengthString(8));
    const char* method = kMethods[in.ConsumeIntegralInRange<std::size_t>(0, 6)];
    auto split = normalize_target(target);
    if (!split) return;
    check(!split->path.empty() && split->path.front() == '/');
    RequestView view{method, host, split->path, &headers};
    MatchResult result = table.match(view);
    const CompiledRoute* want = nullptr;
    check(result.status == expected(table, view, want));
    if (result.status == MatchStatus::method_not_allowed) check(!result.allow.empty());
    if (result.status != MatchStatus::found) return;
    check(result.route == want);
    std::string upstream_path = rewrite_path(*result.route, split->path, result.params);
    check(!upstream_path.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    std::vector<gw::config::RouteSpec> specs;
    const int count = in.ConsumeIntegralInRange(0, 6);
    for (int i = 0; i < count; ++i) specs.push_back(fuzzed_route(in, i));
    std::vector<std::string> errors;
    RouteTable table = RouteTable::build(std::move(specs), errors);
    for (const auto& e : errors) check(e.starts_with("routes.yaml:"));
    // A table with errors never serves (the load fails); only valid ones are matched against.
    if (!errors.empty()) return 0;
    while (in.remaining_bytes() > 0) check_request(table, in);
    return 0;
}
