#include "routes/compiled_matcher.h"

#include <algorithm>

namespace gw::routes {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

std::string to_lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = lower(c);
    return out;
}

std::string join_params(const std::vector<std::string>& names) {
    if (names.empty()) return "the path has no parameters";
    std::string out = "the path has";
    for (const auto& n : names) out += " {" + n + "}";
    return out;
}

}  // namespace

std::shared_ptr<const CompiledMatcher> CompiledMatcher::compile(const config::RouteSpec& spec,
                                                                std::vector<RouteError>& errors) {
    auto m = std::make_shared<CompiledMatcher>();
    std::string why;
    auto path = PathPattern::compile(spec.match.path, why);
    if (!path) {
        errors.push_back({true, "match.path", why});
        return nullptr;
    }
    m->path_ = std::move(*path);
    bool ok = m->compile_host(spec.match.host, errors);
    ok = m->compile_rewrite(spec.rewrite, errors) && ok;
    if (!ok) return nullptr;
    m->headers_ = spec.match.headers;
    for (auto& [name, value] : m->headers_) name = to_lower(name);
    std::sort(m->headers_.begin(), m->headers_.end());
    m->methods_ = spec.match.methods;
    return m;
}

bool CompiledMatcher::compile_host(const std::string& host, std::vector<RouteError>& errors) {
    host_ = to_lower(host);
    if (host_.starts_with("*.")) {
        host_wildcard_ = true;
        host_.erase(0, 1);  // keep the dot: ".example.com" must not match "badexample.com"
    }
    const bool ipv6 = host_.starts_with('[');
    if (host_ == "." || host_.find('*') != std::string::npos) {
        errors.push_back({false, "match.host",
                          "'" + host + "': '*' is only allowed as a leading '*.' label, "
                          "as in '*.example.com'"});
        return false;
    }
    if (!ipv6 && host_.find(':') != std::string::npos) {
        errors.push_back({false, "match.host",
                          "'" + host + "': a host without port is expected (the port is "
                          "never compared)"});
        return false;
    }
    return true;
}

bool CompiledMatcher::compile_rewrite(const config::Rewrite& rw, std::vector<RouteError>& errors) {
    if (!rw.path.empty() && !rw.strip_prefix.empty()) {
        errors.push_back({false, "rewrite", "set either path or strip_prefix, not both"});
        return false;
    }
    if (!rw.strip_prefix.empty()) {
        if (rw.strip_prefix.front() != '/') {
            errors.push_back({false, "rewrite.strip_prefix", "must start with '/'"});
            return false;
        }
        strip_prefix_ = rw.strip_prefix;
        while (!strip_prefix_.empty() && strip_prefix_.back() == '/') strip_prefix_.pop_back();
        // strip_prefix "/" removes nothing; leaving strip_prefix_ empty says just that.
    }
    return rw.path.empty() || compile_template(rw.path, errors);
}

bool CompiledMatcher::compile_template(const std::string& tmpl, std::vector<RouteError>& errors) {
    if (tmpl.front() != '/') {
        errors.push_back({false, "rewrite.path", "must start with '/', got '" + tmpl + "'"});
        return false;
    }
    std::string_view rest = tmpl;
    const auto& names = path_.param_names();
    while (!rest.empty()) {
        const auto open = rest.find('{');
        if (open != 0) {
            rewrite_.push_back({std::string(rest.substr(0, open)), 0, false});
            if (open == std::string_view::npos) break;
            rest.remove_prefix(open);
        }
        const auto close = rest.find('}');
        if (close == std::string_view::npos) {
            errors.push_back({false, "rewrite.path", "unclosed '{' in '" + tmpl + "'"});
            return false;
        }
        const auto name = rest.substr(1, close - 1);
        const auto it = std::find(names.begin(), names.end(), name);
        if (it == names.end()) {
            errors.push_back({false, "rewrite.path",
                              "unknown parameter {" + std::string(name) + "} in '" + tmpl +
                                  "' (" + join_params(names) + ")"});
            return false;
        }
        rewrite_.push_back({std::string(name), std::size_t(it - names.begin()), true});
        rest.remove_prefix(close + 1);
    }
    return true;
}

bool CompiledMatcher::matches_host(std::string_view host) const {
    if (host_.empty()) return true;
    if (!host_wildcard_) return iequals(host, host_);
    // "*.example.com": one or more labels before the suffix, never "example.com" itself.
    return host.size() > host_.size() &&
           iequals(host.substr(host.size() - host_.size()), host_);
}

bool CompiledMatcher::matches_headers(const boost::beast::http::fields* headers) const {
    if (headers_.empty()) return true;
    if (!headers) return false;
    for (const auto& header : headers_) {
        const auto [first, last] = headers->equal_range(header.first);
        // Not a structured binding: clang 14 (the fuzz build) cannot capture those in lambdas.
        const auto same = [&](const auto& field) { return field.value() == header.second; };
        if (std::none_of(first, last, same)) return false;
    }
    return true;
}

bool CompiledMatcher::allows(std::string_view method) const {
    if (methods_.empty()) return true;
    for (const auto& m : methods_)
        if (m == method || (m == "GET" && method == "HEAD")) return true;
    return false;
}

std::string CompiledMatcher::constraint_key() const {
    // '\n' cannot occur in a host or a header field, so the pieces cannot run together.
    std::string key = (host_wildcard_ ? "*" : "=") + host_;
    for (const auto& [name, value] : headers_) key += "\n" + name + "\n" + value;
    return key;
}

int CompiledMatcher::constraint_rank() const {
    const int count = static_cast<int>(headers_.size()) + (host_.empty() ? 0 : 1);
    const int host_rank = host_.empty() ? 0 : (host_wildcard_ ? 1 : 2);
    return count * 4 + host_rank;
}

}  // namespace gw::routes
