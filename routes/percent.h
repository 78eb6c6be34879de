// Percent-encoding helpers (RFC 3986 section 2) shared by target normalisation, parameter
// capture and rewrites. Header-only so the per-request callers inline them.
#pragma once

#include <string>
#include <string_view>

namespace gw::routes {

// Value of one hex digit, or -1.
constexpr int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

constexpr char hex_digit_upper(unsigned v) { return "0123456789ABCDEF"[v & 0xF]; }

// ALPHA DIGIT - . _ ~ : the only characters whose escapes mean the same as the raw character.
constexpr bool is_unreserved(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

// pchar minus pct-encoded: what may stand raw inside one path segment.
constexpr bool is_segment_char(char c) {
    if (is_unreserved(c)) return true;
    switch (c) {
    case '!': case '$': case '&': case '\'': case '(': case ')': case '*': case '+':
    case ',': case ';': case '=': case ':': case '@':
        return true;
    default:
        return false;
    }
}

// Decodes every %XX. Only called on normalised paths, whose escapes are known to be valid;
// a stray '%' is copied as is rather than failing.
inline std::string percent_decode(std::string_view in) {
    std::string out;
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] == '%' && i + 2 < in.size() && hex_value(in[i + 1]) >= 0 &&
            hex_value(in[i + 2]) >= 0) {
            out += static_cast<char>(hex_value(in[i + 1]) * 16 + hex_value(in[i + 2]));
            i += 2;
        } else {
            out += in[i];
        }
    }
    return out;
}

// Appends value encoded for use as one path segment: a decoded parameter may hold '/', '?',
// '%' or spaces, which must not change the shape of the upstream path.
inline void append_segment_encoded(std::string& out, std::string_view value) {
    for (char c : value) {
        if (is_segment_char(c)) {
            out += c;
        } else {
            const auto u = static_cast<unsigned char>(c);
            out += '%';
            out += hex_digit_upper(u >> 4);
            out += hex_digit_upper(u);
        }
    }
}

}  // namespace gw::routes
