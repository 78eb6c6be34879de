#include "server/http_date.h"

#include <algorithm>
#include <ctime>
#include <string>

#include "config/text.h"

namespace gw::server {
namespace {

// system_clock counts nanoseconds: dates far off overflow it, or the difference of two (found
// by tests/fuzz/cache_control_fuzz.cpp). Those are clamped, keeping the order.
constexpr std::time_t kMaxDate =
    std::chrono::duration_cast<std::chrono::seconds>(SystemTime::duration::max()).count() / 2;
constexpr std::time_t kMinDate = -kMaxDate;

}  // namespace

std::optional<SystemTime> parse_http_date(std::string_view text) {
    // strptime reads a C string: a NUL would end the date early and hide what follows.
    if (text.find('\0') != std::string_view::npos) return std::nullopt;
    std::string s(config::trim_ows(text));
    static constexpr const char* kFormats[] = {
        "%a, %d %b %Y %H:%M:%S GMT",  // IMF-fixdate
        "%A, %d-%b-%y %H:%M:%S GMT",  // RFC 850
        "%a %b %e %H:%M:%S %Y",       // asctime
    };
    for (const char* format : kFormats) {
        std::tm tm{};
        const char* end = ::strptime(s.c_str(), format, &tm);
        if (end == nullptr || *end != '\0') continue;
        std::time_t t = ::timegm(&tm);
        if (t == -1) continue;
        return std::chrono::system_clock::from_time_t(std::clamp(t, kMinDate, kMaxDate));
    }
    return std::nullopt;
}

}  // namespace gw::server
