#include "routes/path_pattern.h"

#include <algorithm>

#include "config/text.h"
#include "routes/path.h"
#include "routes/percent.h"

namespace gw::routes {
namespace {

bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
}

// Takes the next segment of a path whose leading '/' is already consumed, advancing rest past
// the following '/'. Returns false when there is no segment left.
bool next_segment(std::string_view& rest, bool& more, std::string_view& segment) {
    if (!more) return false;
    const auto slash = rest.find('/');
    segment = rest.substr(0, slash);
    more = slash != std::string_view::npos;
    rest = more ? rest.substr(slash + 1) : std::string_view{};
    return true;
}

// "{name}" -> name; "" when the segment is not a well-formed parameter.
std::string_view param_name(std::string_view seg) {
    if (seg.size() < 3 || seg.front() != '{' || seg.back() != '}') return {};
    const auto name = seg.substr(1, seg.size() - 2);
    return std::all_of(name.begin(), name.end(), is_name_char) ? name : std::string_view{};
}

}  // namespace

std::optional<PathPattern> PathPattern::compile(std::string_view pattern, std::string& why) {
    PathPattern p;
    if (!pattern.empty() && pattern.front() == '~') {
        if (!p.compile_regex(config::trim_ows(pattern.substr(1)), why)) return std::nullopt;
        return p;
    }
    if (pattern.empty() || pattern.front() != '/') {
        why = "must start with '/' (or '~ ' for a regex), got '" + std::string(pattern) + "'";
        return std::nullopt;
    }
    // Requests are matched after normalize_target, so a pattern that is not itself in normal
    // form (dot-segments, lower-case or needless escapes, a query) could never match.
    const auto normal = normalize_target(pattern);
    if (!normal || normal->path != pattern) {
        why = "'" + std::string(pattern) + "' is not a normalised path and would never match";
        if (normal && normal->query.empty()) why += "; write '" + normal->path + "'";
        return std::nullopt;
    }
    bool prefix = false;
    if (!p.parse_segments(pattern, prefix, why)) return std::nullopt;
    if (prefix) {
        p.kind_ = PathKind::prefix;
        p.text_ = pattern.substr(0, pattern.size() - 2);  // "/api/*" -> "/api", "/*" -> ""
        p.segments_.clear();
    } else {
        p.kind_ = p.param_names_.empty() ? PathKind::exact : PathKind::params;
        p.text_ = pattern;
        if (p.kind_ == PathKind::exact) p.segments_.clear();
    }
    return p;
}

bool PathPattern::compile_regex(std::string_view expr, std::string& why) {
    kind_ = PathKind::regex;
    text_ = expr;
    if (text_.empty()) {
        why = "empty regex after '~'";
        return false;
    }
    try {
        regex_.assign(text_, boost::regex::ECMAScript);  // compiled once, here, never per request
    } catch (const boost::regex_error& e) {
        why = "invalid regex '" + text_ + "': " + e.what();
        return false;
    }
    return true;
}

bool PathPattern::parse_segments(std::string_view pattern, bool& prefix, std::string& why) {
    std::string_view rest = pattern.substr(1);
    bool more = true;
    std::string_view seg;
    while (next_segment(rest, more, seg)) {
        if (seg.find('*') != std::string_view::npos) {
            if (seg != "*" || more) {
                why = "'*' is only allowed as the whole last segment, as in '/api/*'";
                return false;
            }
            prefix = true;
        } else if (seg.find_first_of("{}") != std::string_view::npos) {
            const auto name = param_name(seg);
            if (name.empty()) {
                why = "bad parameter '" + std::string(seg) +
                      "': a parameter is a whole segment '{name}', name of [A-Za-z0-9_-]";
                return false;
            }
            if (std::find(param_names_.begin(), param_names_.end(), name) != param_names_.end()) {
                why = "duplicate parameter {" + std::string(name) + "}";
                return false;
            }
            param_names_.emplace_back(name);
            segments_.push_back({std::string(name), true});
        } else {
            segments_.push_back({std::string(seg), false});
        }
    }
    if (prefix && !param_names_.empty()) {
        why = "parameters are not supported in a prefix pattern ('/*'); use a regex";
        return false;
    }
    return true;
}

bool PathPattern::match(std::string_view path, Params* params) const {
    switch (kind_) {
    case PathKind::exact:
        return path == text_;
    case PathKind::prefix:
        // "/api/*" takes "/api" itself and everything under "/api/", but not "/apix".
        return path.starts_with(text_) &&
               (path.size() == text_.size() || path[text_.size()] == '/');
    case PathKind::params:
        return match_params(path, params);
    case PathKind::regex:
        // search, not match: the author's anchors decide, as in nginx and Envoy's safe_regex.
        return boost::regex_search(path.begin(), path.end(), regex_);
    }
    return false;
}

bool PathPattern::match_params(std::string_view path, Params* params) const {
    if (path.empty() || path.front() != '/') return false;
    std::string_view rest = path.substr(1);
    bool more = true;
    std::string_view seg;
    const auto first_new = params ? params->size() : 0;
    for (const auto& want : segments_) {
        const bool ok = next_segment(rest, more, seg) &&
                        (want.is_param ? !seg.empty() : seg == want.literal);
        if (!ok) {
            if (params) params->resize(first_new);  // leave no half capture behind
            return false;
        }
        if (want.is_param && params) params->emplace_back(want.literal, percent_decode(seg));
    }
    if (more) {  // the path has more segments than the pattern
        if (params) params->resize(first_new);
        return false;
    }
    return true;
}

std::string PathPattern::conflict_key() const {
    std::string key(1, static_cast<char>('0' + static_cast<int>(kind_)));
    if (kind_ != PathKind::params) return key + text_;
    for (const auto& s : segments_) key += s.is_param ? std::string("/{}") : "/" + s.literal;
    return key;
}

}  // namespace gw::routes
