#include "middleware/auth/query_param.h"

#include "routes/percent.h"

namespace gw::middleware::auth {
namespace {

// Calls fn(begin, end, name, value) for each '&'-separated piece; stops when fn returns true.
template <class Fn>
void for_each_param(std::string_view query, Fn&& fn) {
    std::size_t pos = 0;
    while (pos <= query.size()) {
        std::size_t end = query.find('&', pos);
        if (end == std::string_view::npos) end = query.size();
        std::string_view piece = query.substr(pos, end - pos);
        std::size_t eq = piece.find('=');
        std::string_view name = piece.substr(0, eq);
        std::string_view value = eq == std::string_view::npos ? "" : piece.substr(eq + 1);
        if (fn(pos, end, name, value)) return;
        pos = end + 1;
    }
}

bool name_matches(std::string_view encoded, std::string_view name) {
    // Only names with escapes pay for decoding.
    if (encoded.find('%') == std::string_view::npos) return encoded == name;
    return routes::percent_decode(encoded) == name;
}

}  // namespace

QueryParam find_query_param(std::string_view query, std::string_view name) {
    QueryParam out;
    if (query.empty()) return out;
    for_each_param(query, [&](std::size_t, std::size_t, std::string_view n, std::string_view v) {
        if (!name_matches(n, name)) return false;
        if (out.count++ == 0) out.raw = v;
        return false;
    });
    return out;
}

void remove_query_param(std::string& query, std::string_view name) {
    if (query.empty()) return;
    std::string kept;
    kept.reserve(query.size());
    for_each_param(query, [&](std::size_t b, std::size_t e, std::string_view n, std::string_view) {
        if (name_matches(n, name)) return false;
        if (!kept.empty()) kept += '&';
        kept.append(query, b, e - b);
        return false;
    });
    query = std::move(kept);
}

}  // namespace gw::middleware::auth
