#include "server/response_reader.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <limits>

#include <boost/beast/http/error.hpp>

#include "config/text.h"

namespace gw::server {
namespace {

using boost::system::error_code;
namespace http = boost::beast::http;

// A chunk-size line (size and extensions) longer than this is refused.
constexpr std::size_t kMaxChunkLine = 4096;

// RFC 9110 tchar.
constexpr std::array<bool, 256> kTchar = [] {
    std::array<bool, 256> t{};
    for (int c = '0'; c <= '9'; ++c) t[c] = true;
    for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
    for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
    for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
    return t;
}();

bool tchar(char c) { return kTchar[static_cast<unsigned char>(c)]; }
bool ows(char c) { return c == ' ' || c == '\t'; }
bool ctl(char c) {
    auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && u != '\t') || u == 0x7f;
}

// The first byte in [p, end) that may not stand in a field value or a reason phrase (a
// control other than HTAB, or DEL), or end. Eight bytes at a time: the lowest flagged byte of a
// word is the first below 0x20 or equal to DEL (the borrow of the subtraction only ever flags
// bytes above a true one); a flagged HTAB is stepped over and the search goes on after it.
const char* find_ctl(const char* p, const char* end) {
    static_assert(std::endian::native == std::endian::little, "the word scan reads bytes low first");
    constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
    constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
    while (end - p >= 8) {
        std::uint64_t x;
        std::memcpy(&x, p, 8);
        std::uint64_t below = (x - kOnes * 0x20) & ~x & kHigh;
        std::uint64_t y = x ^ (kOnes * 0x7f);
        std::uint64_t del = (y - kOnes) & ~y & kHigh;
        std::uint64_t flagged = below | del;
        if (flagged == 0) {
            p += 8;
            continue;
        }
        p += std::countr_zero(flagged) / 8;  // little-endian: the lowest byte comes first
        if (*p != '\t') return p;
        ++p;
    }
    for (; p < end; ++p)
        if (ctl(*p)) return p;
    return end;
}

// Index one past the first CRLF CRLF whose LF lies at or after `from`, or npos.
std::size_t find_blank_line(const char* data, std::size_t from, std::size_t n) {
    for (std::size_t i = from; i < n;) {
        auto* lf = static_cast<const char*>(std::memchr(data + i, '\n', n - i));
        if (!lf) return std::string_view::npos;
        std::size_t at = static_cast<std::size_t>(lf - data);
        if (at >= 3 && data[at - 1] == '\r' && data[at - 2] == '\n' && data[at - 3] == '\r')
            return at + 1;
        i = at + 1;
    }
    return std::string_view::npos;
}

// One field line at p (inside a block that ends with CRLF CRLF at end): name ":" OWS value
// OWS CRLF. Returns the start of the next line, or nullptr with ec set.
const char* parse_field_line(const char* p, const char* end, std::string_view& name,
                             std::string_view& value, error_code& ec) {
    // A line that begins with white space folds the one before (obs-fold) or is junk.
    if (ows(*p)) {
        ec = http::error::bad_value;
        return nullptr;
    }
    const char* q = p;
    while (tchar(*q)) ++q;
    if (q == p || *q != ':') {
        ec = http::error::bad_field;
        return nullptr;
    }
    name = std::string_view(p, static_cast<std::size_t>(q - p));
    ++q;
    while (ows(*q)) ++q;
    const char* v = q;
    const char* r = find_ctl(q, end);
    if (r == end || *r != '\r') {
        ec = http::error::bad_value;
        return nullptr;
    }
    if (r[1] != '\n') {
        ec = http::error::bad_line_ending;
        return nullptr;
    }
    const char* last = r;
    while (last > v && ows(last[-1])) --last;
    value = std::string_view(v, static_cast<std::size_t>(last - v));
    return r + 2;
}

// Calls each(element) for the comma-separated elements of v, trimmed of OWS, empty ones too.
template <class Each>
bool for_each_element(std::string_view v, Each&& each) {
    for (;;) {
        auto comma = v.find(',');
        if (!each(config::trim_ows(v.substr(0, comma)))) return false;
        if (comma == std::string_view::npos) return true;
        v.remove_prefix(comma + 1);
    }
}

bool is_token(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), tchar);
}

bool parse_decimal(std::string_view s, std::uint64_t& out) {
    if (s.empty()) return false;
    std::uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        auto d = static_cast<std::uint64_t>(c - '0');
        if (v > (std::numeric_limits<std::uint64_t>::max() - d) / 10) return false;
        v = v * 10 + d;
    }
    out = v;
    return true;
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] ), all of [p, end).
bool valid_chunk_extensions(const char* p, const char* end) {
    auto skip_ws = [&] {
        while (p < end && ows(*p)) ++p;
    };
    auto token = [&] {
        const char* s = p;
        while (p < end && tchar(*p)) ++p;
        return p > s;
    };
    // No white space may end the line (RFC 9112 7.1.1 has BWS only before ";" and around "=").
    for (;;) {
        if (p == end) return true;
        skip_ws();
        if (p == end || *p++ != ';') return false;
        skip_ws();
        if (!token()) return false;
        const char* name_end = p;
        skip_ws();
        if (p == end) return p == name_end;
        if (*p != '=') continue;
        ++p;
        skip_ws();
        if (p < end && *p == '"') {
            for (++p;; ++p) {
                if (p == end) return false;
                unsigned char c = static_cast<unsigned char>(*p);
                if (c == '"') break;
                if (c == '\\') {
                    if (++p == end) return false;
                    c = static_cast<unsigned char>(*p);
                    if (c != '\t' && (c < 0x20 || c == 0x7f)) return false;
                } else if (c != '\t' && (c < 0x20 || c == 0x7f)) {
                    return false;
                }
            }
            ++p;
        } else if (!token()) {
            return false;
        }
    }
}

}  // namespace

ResponseReader::Name ResponseReader::name_of(std::string_view n) {
    using config::iequals;
    switch (n.size()) {
        case 2: return iequals(n, "te") ? Name::te : Name::other;
        case 7:
            if (iequals(n, "trailer")) return Name::trailer;
            return iequals(n, "upgrade") ? Name::upgrade : Name::other;
        case 10:
            if (iequals(n, "connection")) return Name::connection;
            return iequals(n, "keep-alive") ? Name::keep_alive : Name::other;
        case 11: return iequals(n, "retry-after") ? Name::retry_after : Name::other;
        case 12: return iequals(n, "x-request-id") ? Name::x_request_id : Name::other;
        case 14: return iequals(n, "content-length") ? Name::content_length : Name::other;
        case 16: return iequals(n, "proxy-connection") ? Name::proxy_connection : Name::other;
        case 17: return iequals(n, "transfer-encoding") ? Name::transfer_encoding : Name::other;
        case 18:
            return iequals(n, "proxy-authenticate") ? Name::proxy_authenticate : Name::other;
        case 19:
            return iequals(n, "proxy-authorization") ? Name::proxy_authorization : Name::other;
        default: return Name::other;
    }
}

void ResponseReader::start(bool head_request, std::size_t header_limit) {
    fields_.clear();
    reason_ = {};
    header_limit_ = header_limit;
    scanned_ = 0;
    remaining_ = 0;
    length_.reset();
    status_ = 0;
    version_ = 11;
    state_ = State::head;
    head_request_ = head_request;
    chunked_ = close_ = keep_alive_ = need_eof_ = crlf_due_ = false;
}

// The length of the block (head or trailers) at data, through its blank line, or 0 while it
// has not all come; what was searched is remembered, and a block past the limit is an error.
std::size_t ResponseReader::block_end(const char* data, std::size_t n, error_code& ec) {
    std::size_t limit = std::min(n, header_limit_);
    std::size_t end = find_blank_line(data, scanned_, limit);
    if (end != std::string_view::npos) return end;
    scanned_ = limit;
    if (n >= header_limit_) ec = http::error::header_limit;
    return 0;
}

std::size_t ResponseReader::put_head(const char* data, std::size_t n, error_code& ec) {
    ec = {};
    std::size_t end = block_end(data, n, ec);
    if (end == 0) return 0;
    head_.assign(data, end);
    parse_head(head_.data(), head_.data() + end, ec);
    if (ec) return 0;
    finish_head();
    return end;
}

void ResponseReader::parse_head(const char* p, const char* end, error_code& ec) {
    // status-line = HTTP-version SP 3DIGIT SP reason-phrase CRLF
    auto digit = [](char c) { return c >= '0' && c <= '9'; };
    if (end - p < 13 || std::memcmp(p, "HTTP/", 5) != 0 || !digit(p[5]) || p[6] != '.' ||
        !digit(p[7])) {
        ec = http::error::bad_version;
        return;
    }
    version_ = static_cast<unsigned>((p[5] - '0') * 10 + (p[7] - '0'));
    if ((version_ != 10 && version_ != 11) || p[8] != ' ') {
        ec = http::error::bad_version;
        return;
    }
    p += 9;
    if (!digit(p[0]) || !digit(p[1]) || !digit(p[2]) || p[3] != ' ') {
        ec = http::error::bad_status;
        return;
    }
    status_ = static_cast<unsigned>((p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0'));
    p += 4;
    const char* r = find_ctl(p, end);
    if (r == end || *r != '\r') {
        ec = http::error::bad_reason;
        return;
    }
    if (r[1] != '\n') {
        ec = http::error::bad_line_ending;
        return;
    }
    reason_ = std::string_view(p, static_cast<std::size_t>(r - p));
    p = r + 2;
    for (;;) {
        if (*p == '\r') {  // the blank line: the first CRLF CRLF is where the head ends
            if (p + 2 != end) ec = http::error::bad_line_ending;
            return;
        }
        Field f;
        p = parse_field_line(p, end, f.name, f.value, ec);
        if (ec) return;
        f.known = name_of(f.name);
        on_field(f, ec);
        if (ec) return;
        fields_.push_back(f);
    }
}

void ResponseReader::on_field(const Field& f, error_code& ec) {
    switch (f.known) {
        case Name::connection:
        case Name::proxy_connection:
            if (!for_each_element(f.value, [&](std::string_view t) {
                    if (config::iequals(t, "close")) close_ = true;
                    else if (config::iequals(t, "keep-alive")) keep_alive_ = true;
                    return t.empty() || is_token(t);
                }))
                ec = http::error::bad_value;
            return;
        case Name::content_length: {
            if (chunked_) {
                ec = http::error::bad_content_length;
                return;
            }
            std::optional<std::uint64_t> seen;
            bool same = true;
            if (!for_each_element(f.value, [&](std::string_view t) {
                    std::uint64_t v;
                    if (!parse_decimal(t, v)) return false;
                    if (seen && *seen != v) same = false;
                    seen = v;
                    return true;
                })) {
                ec = http::error::bad_content_length;
                return;
            }
            if (!same || (length_ && *length_ != *seen)) {
                ec = http::error::multiple_content_length;
                return;
            }
            length_ = seen;
            return;
        }
        case Name::transfer_encoding: {
            // One Transfer-Encoding, never beside a Content-Length; "chunked" only last.
            if (chunked_ || length_) {
                ec = http::error::bad_transfer_encoding;
                return;
            }
            bool chunked_seen = false;
            bool last_chunked = false;
            if (!for_each_element(f.value, [&](std::string_view t) {
                    if (t.empty()) return true;
                    if (chunked_seen || !is_token(t)) return false;
                    last_chunked = chunked_seen = config::iequals(t, "chunked");
                    return true;
                })) {
                ec = http::error::bad_transfer_encoding;
                return;
            }
            chunked_ = last_chunked;
            return;
        }
        default: return;
    }
}

void ResponseReader::finish_head() {
    remaining_ = 0;
    if (head_request_ || status_ / 100 == 1 || status_ == 204 || status_ == 304) {
        state_ = State::done;  // a Content-Length there describes what a GET would get
    } else if (length_) {
        remaining_ = *length_;
        state_ = remaining_ > 0 ? State::body_length : State::done;
    } else if (chunked_) {
        state_ = State::chunk_header;
    } else {
        need_eof_ = true;
        state_ = State::body_to_eof;
    }
}

std::string_view ResponseReader::value(Name n) const {
    for (const auto& f : fields_)
        if (f.known == n) return f.value;
    return {};
}

bool ResponseReader::keep_alive() const {
    if (version_ == 11 ? close_ : !keep_alive_) return false;
    return !need_eof_;
}

std::size_t ResponseReader::put_body(const char* data, std::size_t n, char* out,
                                     std::size_t room, std::size_t& produced, error_code& ec) {
    ec = {};
    produced = 0;
    const char* p = data;
    const char* const end = data + n;
    auto copy = [&](std::uint64_t most) {
        std::size_t k = static_cast<std::size_t>(
            std::min<std::uint64_t>({most, static_cast<std::uint64_t>(end - p), room - produced}));
        std::memcpy(out + produced, p, k);
        produced += k;
        p += k;
        return k;
    };
    for (;;) {
        switch (state_) {
            case State::head:
            case State::done: return static_cast<std::size_t>(p - data);
            case State::body_length:
                remaining_ -= copy(remaining_);
                if (remaining_ == 0) state_ = State::done;
                return static_cast<std::size_t>(p - data);
            case State::body_to_eof:
                copy(std::numeric_limits<std::uint64_t>::max());
                return static_cast<std::size_t>(p - data);
            case State::chunk_data:
                remaining_ -= copy(remaining_);
                if (remaining_ > 0) return static_cast<std::size_t>(p - data);
                state_ = State::chunk_header;
                crlf_due_ = true;
                if (produced == room) return static_cast<std::size_t>(p - data);
                break;
            case State::chunk_header: {
                std::size_t used = put_chunk_header(p, static_cast<std::size_t>(end - p), ec);
                if (ec || used == 0) return static_cast<std::size_t>(p - data);
                p += used;
                break;
            }
            case State::trailers: {
                std::size_t used = put_trailers(p, static_cast<std::size_t>(end - p), ec);
                p += used;
                return static_cast<std::size_t>(p - data);
            }
        }
    }
}

// [CRLF of the chunk before] chunk-size [ chunk-ext ] CRLF; 0 while it is incomplete.
std::size_t ResponseReader::put_chunk_header(const char* data, std::size_t n, error_code& ec) {
    const char* p = data;
    const char* const end = data + n;
    if (crlf_due_) {
        if (n < 2) return 0;
        if (p[0] != '\r' || p[1] != '\n') {
            ec = http::error::bad_chunk;
            return 0;
        }
        p += 2;
    }
    auto* cr = static_cast<const char*>(std::memchr(p, '\r', static_cast<std::size_t>(end - p)));
    if (!cr || cr + 1 == end) {
        if (static_cast<std::size_t>(end - p) > kMaxChunkLine) ec = http::error::bad_chunk;
        return 0;
    }
    if (cr[1] != '\n') {
        ec = http::error::bad_line_ending;
        return 0;
    }
    std::uint64_t size = 0;
    const char* q = p;
    for (int d; q < cr && (d = hex_digit(*q)) >= 0; ++q) {
        if (size > (std::numeric_limits<std::uint64_t>::max() >> 4)) {
            ec = http::error::bad_chunk;
            return 0;
        }
        size = size * 16 + static_cast<std::uint64_t>(d);
    }
    if (q == p) {
        ec = http::error::bad_chunk;
        return 0;
    }
    if (!valid_chunk_extensions(q, cr)) {
        ec = http::error::bad_chunk_extension;
        return 0;
    }
    crlf_due_ = false;
    if (size > 0) {
        remaining_ = size;
        state_ = State::chunk_data;
    } else {
        scanned_ = 0;
        state_ = State::trailers;
    }
    return static_cast<std::size_t>(cr + 2 - data);
}

// After the last chunk: *( field CRLF ) CRLF, taken whole. The fields are checked and dropped
// (the client's framing ends with the gateway's own last chunk). As in a head, a Connection
// there is heeded and a Content-Length or Transfer-Encoding is an error (RFC 9110 6.5.1 keeps
// framing out of trailers), which is also how Beast's parser reads them.
std::size_t ResponseReader::put_trailers(const char* data, std::size_t n, error_code& ec) {
    if (n < 2) return 0;
    if (data[0] == '\r') {
        if (data[1] != '\n') {
            ec = http::error::bad_line_ending;
            return 0;
        }
        state_ = State::done;
        return 2;
    }
    std::size_t end = block_end(data, n, ec);
    if (end == 0) return 0;
    const char* p = data;
    const char* const last = data + end - 2;  // the blank line
    while (p < last) {
        Field f;
        p = parse_field_line(p, data + end, f.name, f.value, ec);
        if (ec) return 0;
        f.known = name_of(f.name);
        on_field(f, ec);
        if (ec) return 0;
    }
    state_ = State::done;
    return end;
}

void ResponseReader::put_eof(error_code& ec) {
    ec = {};
    if (state_ == State::body_to_eof) state_ = State::done;
    else if (state_ != State::done) ec = http::error::partial_message;
}

}  // namespace gw::server
