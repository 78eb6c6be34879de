// The entry codec: every field round-trips, and any damaged value decodes to null.
#include <catch.hpp>

#include "middleware/cache/entry_codec.h"

using namespace gw::middleware::cache;

namespace {

Entry full_entry(std::string body) {
    Entry e;
    e.status = 203;
    e.headers = {{"content-type", "text/plain"}, {"x-empty", ""}, {"set", "a\r\nb\0c"}};
    e.body = std::make_shared<const std::string>(std::move(body));
    e.stored_at = SystemTime(std::chrono::milliseconds(1'764'000'000'123));
    e.initial_age = Millis(5000);
    e.fresh_for = Millis(30'000);
    e.stale_if_error = Millis(300'000);
    e.must_revalidate = true;
    e.etag = "\"v1\"";
    e.last_modified = "Tue, 24 Nov 2026 10:00:00 GMT";
    e.vary = {"accept", "x-lang"};
    e.route = "orders";
    e.path = "/api/orders/7";
    return e;
}

void check_same(const Entry& a, const Entry& b) {
    CHECK(a.status == b.status);
    CHECK(a.headers == b.headers);
    CHECK(*a.body == *b.body);
    CHECK(a.stored_at == b.stored_at);
    CHECK(a.initial_age == b.initial_age);
    CHECK(a.fresh_for == b.fresh_for);
    CHECK(a.stale_if_error == b.stale_if_error);
    CHECK(a.must_revalidate == b.must_revalidate);
    CHECK(a.etag == b.etag);
    CHECK(a.last_modified == b.last_modified);
    CHECK(a.vary_marker == b.vary_marker);
    CHECK(a.vary == b.vary);
    CHECK(a.route == b.route);
    CHECK(a.path == b.path);
}

}  // namespace

TEST_CASE("entry codec: every field round-trips", "[cache][codec]") {
    for (std::string body : {std::string(), std::string("hello"), std::string(100'000, '\0'),
                             std::string("GWC1 looks like the tag")}) {
        Entry e = full_entry(body);
        std::string value = encode_entry(e);
        CHECK(value.compare(0, body.size(), body) == 0);  // the body leads
        CHECK(value.size() >= body.size() + 8);
        EntryPtr back = decode_entry(std::move(value));
        REQUIRE(back);
        check_same(e, *back);
    }
}

TEST_CASE("entry codec: a Vary marker and an empty entry round-trip", "[cache][codec]") {
    Entry marker;
    marker.vary_marker = true;
    marker.vary = {"accept"};
    marker.route = "r";
    EntryPtr back = decode_entry(encode_entry(marker));
    REQUIRE(back);
    check_same(marker, *back);
    Entry empty;
    back = decode_entry(encode_entry(empty));
    REQUIRE(back);
    check_same(empty, *back);
}

TEST_CASE("entry codec: the decoded body keeps the value's buffer", "[cache][codec]") {
    std::string value = encode_entry(full_entry(std::string(4096, 'b')));
    const char* buffer = value.data();
    EntryPtr back = decode_entry(std::move(value));
    REQUIRE(back);
    CHECK(back->body->data() == buffer);
    CHECK(back->body->size() == 4096);
}

TEST_CASE("entry codec: every truncation decodes to null", "[cache][codec]") {
    const std::string value = encode_entry(full_entry("some body"));
    for (std::size_t n = 0; n < value.size(); ++n) {
        INFO("prefix of " << n << " bytes");
        CHECK(decode_entry(value.substr(0, n)) == nullptr);
        CHECK(decode_entry(value.substr(value.size() - n)) == nullptr);  // front cut off
    }
}

TEST_CASE("entry codec: damaged values decode to null, never crash", "[cache][codec]") {
    const std::string value = encode_entry(full_entry("body"));
    CHECK(decode_entry(std::string()) == nullptr);
    CHECK(decode_entry(std::string("GWC1")) == nullptr);
    CHECK(decode_entry(std::string("plain text someone SET")) == nullptr);
    std::string other_version = value;
    other_version.back() = '2';
    CHECK(decode_entry(std::move(other_version)) == nullptr);
    std::string extra_body = "x" + value;  // the body length no longer adds up
    CHECK(decode_entry(std::move(extra_body)) == nullptr);
    std::string huge_meta = value;
    huge_meta[huge_meta.size() - 5] = '\xff';  // meta length's top byte
    CHECK(decode_entry(std::move(huge_meta)) == nullptr);
    // Flipping any single byte of the meta and trailer either still parses to some entry or is
    // refused: no crash, no over-read (run under ASan in the sanitizer build).
    const std::size_t meta_start = 4;  // after the body
    for (std::size_t i = meta_start; i < value.size(); ++i) {
        for (unsigned char flip : {0x01, 0x80, 0xff}) {
            std::string v = value;
            v[i] = static_cast<char>(static_cast<unsigned char>(v[i]) ^ flip);
            EntryPtr e = decode_entry(std::move(v));
            if (e) CHECK(e->body->size() <= value.size());
        }
    }
}

TEST_CASE("entry codec: a list count larger than the bytes left is refused", "[cache][codec]") {
    Entry e;
    e.headers = {{"a", "b"}};
    std::string value = encode_entry(e);
    // The header count sits right after the four strings; find it by encoding with 2 headers.
    Entry two = e;
    two.headers.emplace_back("c", "d");
    std::string value2 = encode_entry(two);
    std::size_t at = 0;
    while (at < value.size() && value[at] == value2[at]) ++at;
    REQUIRE(at + 4 <= value.size());
    value[at] = '\xff';
    value[at + 1] = '\xff';
    value[at + 2] = '\xff';
    value[at + 3] = '\x7f';
    CHECK(decode_entry(std::move(value)) == nullptr);
}
