#include "config/units.h"

#include <charconv>
#include <limits>
#include <utility>

namespace gw::config {
namespace {

// Splits "250ms" into 250 and "ms". Fails on an empty number or trailing garbage after digits
// that is not a unit made of letters.
bool split_number(std::string_view text, std::uint64_t& number, std::string_view& unit) {
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
    if (digits == 0) return false;
    auto parsed = parse_uint(text.substr(0, digits));
    if (!parsed) return false;
    number = *parsed;
    unit = text.substr(digits);
    return true;
}

bool multiply(std::uint64_t a, std::uint64_t b, std::uint64_t& out) {
    if (a != 0 && b > std::numeric_limits<std::uint64_t>::max() / a) return false;
    out = a * b;
    return true;
}

}  // namespace

std::optional<std::uint64_t> parse_uint(std::string_view text) {
    std::uint64_t value = 0;
    if (text.empty()) return std::nullopt;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

std::optional<Duration> parse_duration(std::string_view text) {
    std::uint64_t number = 0;
    std::string_view unit;
    if (!split_number(text, number, unit)) return std::nullopt;
    static constexpr std::pair<std::string_view, std::uint64_t> kUnits[] = {
        {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}};
    for (const auto& [name, millis] : kUnits) {
        if (unit != name) continue;
        std::uint64_t total = 0;
        // Keep well inside milliseconds' rep so later arithmetic (deadlines) cannot overflow.
        if (!multiply(number, millis, total) || total > (1ull << 52)) return std::nullopt;
        return Duration(static_cast<Duration::rep>(total));
    }
    return std::nullopt;  // bare number or unknown unit
}

std::optional<std::size_t> parse_size(std::string_view text) {
    std::uint64_t number = 0;
    std::string_view unit;
    if (!split_number(text, number, unit)) return std::nullopt;
    static constexpr std::pair<std::string_view, std::uint64_t> kUnits[] = {
        {"", 1}, {"B", 1}, {"KiB", 1ull << 10}, {"MiB", 1ull << 20}, {"GiB", 1ull << 30}};
    for (const auto& [name, factor] : kUnits) {
        if (unit != name) continue;
        std::uint64_t total = 0;
        if (!multiply(number, factor, total)) return std::nullopt;
        if (total > std::numeric_limits<std::size_t>::max()) return std::nullopt;
        return static_cast<std::size_t>(total);
    }
    return std::nullopt;
}

}  // namespace gw::config
