// The byte form of an Entry for stores outside the process (the Redis store).
//
// Layout: the body first, then the other fields (the "meta"), then the meta's length (u32) and
// a 4-byte tag naming the format version:
//
//   body | meta | u32 meta_len | "GWC1"
//
// The body comes first so that decoding keeps it where it is: the value read from Redis is
// truncated to the body and becomes the entry's body without a copy. Integers are
// little-endian and fixed-width; strings and lists are u32-length-prefixed. Meta:
//   u16 status, u8 flags (1 must_revalidate, 2 vary_marker), i64 stored_at (ms since the
//   epoch), i64 initial_age, i64 fresh_for, i64 stale_if_error (ms), u64 body length,
//   str etag, str last_modified, str route, str path, u32 n + n (name, value) headers,
//   u32 n + n vary names.
// A value that does not parse exactly (truncated, another version, lengths that do not add up,
// bytes left over, a negative or absurd time) decodes to null: for the cache a miss, never a
// crash.
// Pure functions, no state: any thread.
#pragma once

#include <string>
#include <string_view>

#include "middleware/cache/entry.h"

namespace gw::middleware::cache {

inline constexpr std::string_view kEntryCodecTag = "GWC1";

// The encoded entry (one allocation of the exact size; the body is copied once, into it).
std::string encode_entry(const Entry& e);

// The entry in `value`, or null when it is not a valid encoding. Takes the value by rvalue:
// its buffer becomes the body.
EntryPtr decode_entry(std::string&& value);

}  // namespace gw::middleware::cache
