// Small text checks shared by the section parsers (HTTP tokens, case folding).
#pragma once

#include <string>
#include <string_view>

namespace gw::config {

// RFC 9110 token: what header names and methods are made of.
bool is_token(std::string_view s);
std::string to_lower(std::string_view s);
std::string to_upper(std::string_view s);
// ASCII case-insensitive equality that reads only inside both views. Boost.Beast 1.81's
// iequals reads one byte past both ends whenever the texts differ in case (found by
// tests/fuzz/cache_control_fuzz.cpp); that is in bounds only while a '\r' or NUL follows.
// Inline: header checks on the request path use it.
inline bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        unsigned char x = static_cast<unsigned char>(a[i]) | 0x20;
        if (a[i] != b[i] && (x != (static_cast<unsigned char>(b[i]) | 0x20) || x < 'a' || x > 'z'))
            return false;
    }
    return true;
}
// Strips optional white space from both ends: RFC 9110 OWS = SP / HTAB (nothing else, so a
// CR, LF or NUL stays visible to the caller's checks). Inline: header parsing uses it per request.
inline std::string_view trim_ows(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}
// A name used as a YAML reference (upstream names): letters, digits, '-', '_', '.'.
bool is_simple_name(std::string_view s);

}  // namespace gw::config
