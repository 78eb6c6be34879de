// Human units used throughout the YAML files: durations ("250ms", "5s", "10m", "1h") and byte
// sizes ("512", "16KiB", "10MiB", "1GiB"). Pure functions, no YAML here, so they are easy to test.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "config/types.h"

namespace gw::config {

// A bare number is refused on purpose: "10" could mean seconds or milliseconds, and guessing
// wrong turns a 10 s timeout into a 10 ms one.
std::optional<Duration> parse_duration(std::string_view text);

// A bare number is bytes. Units are binary (KiB = 1024); overflow is refused.
std::optional<std::size_t> parse_size(std::string_view text);

// A plain non-negative decimal integer, no sign, no spaces, no overflow.
std::optional<std::uint64_t> parse_uint(std::string_view text);

}  // namespace gw::config
