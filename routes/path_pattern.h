// A compiled `match.path`: exact, with {parameters}, prefix ("/api/*") or regex ("~ ^/re$").
// Built once per configuration load, then read-only and shared by all worker threads.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/regex.hpp>

#include "routes/route_table.h"

namespace gw::routes {

// Declaration order is precedence order (CONFIG.md, plus regex between params and prefixes).
enum class PathKind { exact = 0, params = 1, regex = 2, prefix = 3 };

struct PathSegment {
    std::string literal;  // the segment text when !is_param
    bool is_param = false;
};

class PathPattern {
public:
    // Returns nullopt and sets why when the pattern is invalid.
    static std::optional<PathPattern> compile(std::string_view pattern, std::string& why);

    PathKind kind() const { return kind_; }
    // exact: the path; prefix: the path before "/*"; regex: the expression; params: the pattern.
    const std::string& text() const { return text_; }
    const std::vector<PathSegment>& segments() const { return segments_; }  // params only
    const std::vector<std::string>& param_names() const { return param_names_; }

    // path is normalised (normalize_target). When it matches and params is not null, the
    // captured parameters are appended, percent-decoded, in pattern order.
    bool match(std::string_view path, Params* params) const;

    // Two patterns that accept exactly the same paths have the same key: parameter names are
    // ignored because they do not change which requests match.
    std::string conflict_key() const;

private:
    bool compile_regex(std::string_view expr, std::string& why);
    bool parse_segments(std::string_view pattern, bool& prefix, std::string& why);
    bool match_params(std::string_view path, Params* params) const;

    PathKind kind_ = PathKind::exact;
    std::string text_;
    std::vector<PathSegment> segments_;
    std::vector<std::string> param_names_;
    boost::regex regex_;  // kind regex only
};

}  // namespace gw::routes
