// An upstream's response as the proxy reads it (server/response_reader.h): whatever the bytes,
// and however they arrive, the reader may refuse them, but what it accepts must be what Beast's
// response parser reads in the same bytes (status, version, reason, fields, body, whether the
// connection may be reused, where the message ends), and it must read the same whichever
// arrival sizes and body buffer it is given.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tests/unit/server/response_reader_check.h"

namespace {
void check(bool ok) {
    if (!ok) __builtin_trap();  // an invariant broke: libFuzzer reports it as a crash
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    // The first byte picks the arrival size and the body buffer, the second a HEAD request.
    const std::size_t piece = 1 + (data[0] & 0x0f);
    const std::size_t room = 1 + (data[0] >> 4);
    const bool head_request = (data[1] & 1) != 0;
    std::string_view in(reinterpret_cast<const char*>(data) + 2, size - 2);
    gw::server::ResponseReader r;
    auto whole = gw::test::read_with_reader(r, in, head_request, {}, 65536);
    auto cut = gw::test::read_with_reader(r, in, head_request, {piece}, room);
    check(whole.ok == cut.ok);
    check(whole.ec == cut.ec);
    if (!whole.ok) return 0;
    check(cut == whole);
    check(gw::test::same_reading(whole, gw::test::read_with_beast(in, head_request)));
    return 0;
}
