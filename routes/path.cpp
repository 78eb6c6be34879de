// Request-target normalisation and upstream path rewriting. Both run once per request on the
// worker thread that owns the request, touch no shared mutable state and allocate only the
// strings they return.
#include "routes/path.h"

#include "routes/compiled_matcher.h"
#include "routes/percent.h"

namespace gw::routes {
namespace {

// Copies raw into out, decoding escapes of unreserved characters and upper-casing the others,
// so that equivalent spellings of a path compare equal for routing, ACLs and caching.
// Refuses what could smuggle a different path past those checks: an encoded '/' or '\'
// (upstreams disagree on whether they split segments), NUL, controls and broken escapes.
bool decode_unreserved(std::string_view raw, std::string& out) {
    out.reserve(raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) {
        const char c = raw[i];
        const auto uc = static_cast<unsigned char>(c);
        if (c != '%') {
            if (uc < 0x20 || uc == 0x7f || c == ' ' || c == '\\' || c == '#') return false;
            out += c;
            continue;
        }
        if (i + 2 >= raw.size() || hex_value(raw[i + 1]) < 0 || hex_value(raw[i + 2]) < 0)
            return false;
        const auto v = static_cast<unsigned>(hex_value(raw[i + 1]) * 16 + hex_value(raw[i + 2]));
        if (v == 0 || v == '/' || v == '\\') return false;
        if (is_unreserved(static_cast<char>(v))) {
            out += static_cast<char>(v);
        } else {
            out += '%';
            out += hex_digit_upper(v >> 4);
            out += hex_digit_upper(v);
        }
        i += 2;
    }
    return true;
}

// RFC 3986 5.2.4 on a path starting with '/', except that ".." at the root stays at the root
// (as browsers and most servers do) instead of being an error. "//" is kept: empty segments
// are meaningful to some upstreams. A dot segment with path parameters ("..;x", ".;") is
// refused (nullopt): Tomcat, Jetty and Spring read it as ".." or ".", so forwarding it would
// let "/public/..;/admin" reach what the route table thinks is a different path.
std::optional<std::string> remove_dot_segments(std::string_view in) {
    std::string out;
    out.reserve(in.size());
    std::string_view rest = in.substr(1);
    bool more = true;
    while (more) {
        const auto slash = rest.find('/');
        const auto seg = rest.substr(0, slash);
        more = slash != std::string_view::npos;
        rest = more ? rest.substr(slash + 1) : std::string_view{};
        if (seg.starts_with(".;") || seg.starts_with("..;")) return std::nullopt;
        if (seg == "." || seg == "..") {
            if (seg == "..") {
                const auto last = out.rfind('/');
                out.resize(last == std::string::npos ? 0 : last);
            }
            if (!more) out += '/';  // "/a/b/.." is the directory "/a/", not "/a"
        } else {
            out += '/';
            out += seg;
        }
    }
    if (out.empty()) out = "/";
    return out;
}

std::string_view param_value(const RewritePiece& piece, const Params& params) {
    // Params come from this route's match in pattern order; the name check keeps a caller that
    // passes something else from getting the wrong value.
    if (piece.param_index < params.size() && params[piece.param_index].first == piece.text)
        return params[piece.param_index].second;
    for (const auto& [name, value] : params)
        if (name == piece.text) return value;
    return {};
}

}  // namespace

// A path made only of characters that need no decoding and hold no dot: it is its own
// normal form (no '%', no '.', nothing that decode_unreserved would refuse).
static bool already_normal(std::string_view path) {
    for (unsigned char c : path) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '/' || c == '-' || c == '_' || c == '~' || c == '!' || c == '$' ||
                  c == '&' || c == '\'' || c == '(' || c == ')' || c == '*' || c == '+' ||
                  c == ',' || c == ';' || c == '=' || c == ':' || c == '@';
        if (!ok) return false;
    }
    return true;
}

std::optional<SplitTarget> normalize_target(std::string_view target) {
    // Origin-form only: absolute-form ("http://x/a"), authority-form and "*" are refused.
    if (target.empty() || target.front() != '/') return std::nullopt;
    const auto q = target.find('?');
    SplitTarget out;
    if (q != std::string_view::npos) out.query = target.substr(q + 1);
    if (already_normal(target.substr(0, q))) {
        out.path = target.substr(0, q);  // the common case: nothing to decode or resolve
        return out;
    }
    std::string decoded;
    if (!decode_unreserved(target.substr(0, q), decoded)) return std::nullopt;
    // Dots are resolved after decoding so that "%2e%2e" cannot slip past as a plain segment.
    auto resolved = remove_dot_segments(decoded);
    if (!resolved) return std::nullopt;
    out.path = std::move(*resolved);
    return out;
}

std::string rewrite_path(const CompiledRoute& route, std::string_view path, const Params& params) {
    if (!route.matcher) return std::string(path);
    const auto& m = *route.matcher;
    if (!m.rewrite().empty()) {
        std::string out;
        out.reserve(path.size() + 16);
        for (const auto& piece : m.rewrite()) {
            if (piece.is_param)
                append_segment_encoded(out, param_value(piece, params));
            else
                out += piece.text;
        }
        return out;
    }
    const auto& prefix = m.strip_prefix();
    if (!prefix.empty() && path.starts_with(prefix) &&
        (path.size() == prefix.size() || path[prefix.size()] == '/')) {
        const auto rest = path.substr(prefix.size());
        return rest.empty() ? std::string("/") : std::string(rest);
    }
    return std::string(path);
}

}  // namespace gw::routes
