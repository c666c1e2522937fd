// Job ids: how a job is named on the wire, in the broker's database and in file names.
//
// A job id is the string "j" followed by exactly 16 lowercase hexadecimal digits, the
// big-endian spelling of a uint64 (e.g. "j000000000000002a" for 42). The alphabet makes an id
// safe to embed in a file name or a path component; decoders refuse anything else.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace sieve::proto {

// The id of job number `number`. Never fails.
std::string FormatJobId(std::uint64_t number);

// True when `id` has the form documented above.
bool IsValidJobId(std::string_view id);

// The number inside `id`, or Status::Corrupt naming the bad id when it is malformed.
Result<std::uint64_t> ParseJobId(std::string_view id);

}  // namespace sieve::proto
