#include "middleware/cache/entry_codec.h"

#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>

namespace gw::middleware::cache {
namespace {

constexpr std::size_t kTrailer = sizeof(std::uint32_t) + kEntryCodecTag.size();
// Times and durations beyond this (about 139 years, in ms) are damage: refusing them keeps
// the entry's arithmetic (age, freshness, the conversion to system_clock) from overflowing.
constexpr std::int64_t kMaxMillis = std::int64_t(1) << 42;
constexpr std::uint8_t kMustRevalidate = 1;
constexpr std::uint8_t kVaryMarker = 2;

// Appends to a string, or only counts the bytes (the first pass sizes the value exactly).
class Sink {
public:
    explicit Sink(std::string* out) : out_(out) {}
    template <class T>
    void integer(T v) {
        unsigned char bytes[sizeof(T)];
        auto u = static_cast<std::make_unsigned_t<T>>(v);
        for (std::size_t i = 0; i < sizeof(T); ++i) bytes[i] = (u >> (8 * i)) & 0xff;
        raw(std::string_view(reinterpret_cast<const char*>(bytes), sizeof(T)));
    }
    void str(std::string_view s) {
        integer(static_cast<std::uint32_t>(s.size()));
        raw(s);
    }
    void raw(std::string_view s) {
        if (out_) out_->append(s);
        size_ += s.size();
    }
    std::size_t size() const { return size_; }

private:
    std::string* out_;
    std::size_t size_ = 0;
};

void write_meta(const Entry& e, Sink& out) {
    out.integer(static_cast<std::uint16_t>(e.status));
    out.integer(static_cast<std::uint8_t>((e.must_revalidate ? kMustRevalidate : 0) |
                                          (e.vary_marker ? kVaryMarker : 0)));
    auto since_epoch = std::chrono::duration_cast<Millis>(e.stored_at.time_since_epoch());
    out.integer(static_cast<std::int64_t>(since_epoch.count()));
    out.integer(static_cast<std::int64_t>(e.initial_age.count()));
    out.integer(static_cast<std::int64_t>(e.fresh_for.count()));
    out.integer(static_cast<std::int64_t>(e.stale_if_error.count()));
    out.integer(static_cast<std::uint64_t>(e.body->size()));
    for (const std::string* s : {&e.etag, &e.last_modified, &e.route, &e.path}) out.str(*s);
    out.integer(static_cast<std::uint32_t>(e.headers.size()));
    for (const auto& [name, value] : e.headers) {
        out.str(name);
        out.str(value);
    }
    out.integer(static_cast<std::uint32_t>(e.vary.size()));
    for (const auto& name : e.vary) out.str(name);
}

// Reads the meta; every read checks the bytes left, and a failed read sticks.
class Source {
public:
    explicit Source(std::string_view in) : in_(in) {}
    template <class T>
    T integer() {
        if (!take(sizeof(T))) return T{};
        std::make_unsigned_t<T> u = 0;
        for (std::size_t i = 0; i < sizeof(T); ++i)
            u |= static_cast<std::make_unsigned_t<T>>(static_cast<unsigned char>(last_[i]))
                 << (8 * i);
        return static_cast<T>(u);
    }
    std::string str() {
        auto n = integer<std::uint32_t>();
        if (!take(n)) return {};
        return std::string(last_, n);
    }
    // A list count, refused when the bytes left cannot hold that many items of `min_item`.
    std::uint32_t count(std::size_t min_item) {
        auto n = integer<std::uint32_t>();
        if (ok_ && n > in_.size() / min_item) ok_ = false;
        return ok_ ? n : 0;
    }
    // A time or duration in ms, refused outside [0, kMaxMillis).
    Millis millis() {
        auto ms = integer<std::int64_t>();
        if (ms < 0 || ms >= kMaxMillis) ok_ = false;
        return Millis(ok_ ? ms : 0);
    }
    bool done() const { return ok_ && in_.empty(); }
    bool ok() const { return ok_; }

private:
    bool take(std::size_t n) {
        if (!ok_ || n > in_.size()) {
            ok_ = false;
            return false;
        }
        last_ = in_.data();
        in_.remove_prefix(n);
        return true;
    }
    std::string_view in_;
    const char* last_ = nullptr;
    bool ok_ = true;
};

std::uint32_t read_u32(const char* p) {
    Source s(std::string_view(p, sizeof(std::uint32_t)));
    return s.integer<std::uint32_t>();
}

// Fills everything but the body; the body's length comes back through `body_size`.
bool read_meta(std::string_view meta, Entry& e, std::uint64_t& body_size) {
    Source in(meta);
    e.status = in.integer<std::uint16_t>();
    auto flags = in.integer<std::uint8_t>();
    e.must_revalidate = (flags & kMustRevalidate) != 0;
    e.vary_marker = (flags & kVaryMarker) != 0;
    e.stored_at = SystemTime(std::chrono::duration_cast<SystemTime::duration>(in.millis()));
    e.initial_age = in.millis();
    e.fresh_for = in.millis();
    e.stale_if_error = in.millis();
    body_size = in.integer<std::uint64_t>();
    for (std::string* s : {&e.etag, &e.last_modified, &e.route, &e.path}) *s = in.str();
    const std::size_t headers = in.count(2 * sizeof(std::uint32_t));
    e.headers.reserve(headers);
    for (std::size_t i = 0; i < headers && in.ok(); ++i) {
        std::string name = in.str();
        e.headers.emplace_back(std::move(name), in.str());
    }
    const std::size_t vary = in.count(sizeof(std::uint32_t));
    e.vary.reserve(vary);
    for (std::size_t i = 0; i < vary && in.ok(); ++i) e.vary.push_back(in.str());
    return in.done();
}

}  // namespace

std::string encode_entry(const Entry& e) {
    Sink sizing(nullptr);
    write_meta(e, sizing);
    const std::size_t meta = sizing.size();
    std::string out;
    out.reserve(e.body->size() + meta + kTrailer);
    out.append(*e.body);
    Sink sink(&out);
    write_meta(e, sink);
    sink.integer(static_cast<std::uint32_t>(meta));
    sink.raw(kEntryCodecTag);
    return out;
}

EntryPtr decode_entry(std::string&& value) {
    if (value.size() < kTrailer) return nullptr;
    const std::size_t trailer_at = value.size() - kTrailer;
    if (std::string_view(value).substr(trailer_at + sizeof(std::uint32_t)) != kEntryCodecTag)
        return nullptr;
    const std::size_t meta = read_u32(value.data() + trailer_at);
    if (meta > trailer_at) return nullptr;
    const std::size_t body_end = trailer_at - meta;
    auto e = std::make_shared<Entry>();
    std::uint64_t body_size = 0;
    if (!read_meta(std::string_view(value).substr(body_end, meta), *e, body_size) ||
        body_size != body_end)
        return nullptr;
    value.resize(body_end);  // the body stays in the buffer it arrived in
    e->body = std::make_shared<const std::string>(std::move(value));
    return e;
}

}  // namespace gw::middleware::cache
