// UTF-8 validation (used on CSV headers, whose column names become JSON keys).
// Thread-safety: a pure function.
#pragma once

#include <cstddef>
#include <string_view>

namespace sieve {

// Returns true when `text` is well-formed UTF-8 (no overlong forms, no surrogates, nothing
// past U+10FFFF). Otherwise returns false and sets *bad_offset (if not null) to the offset
// of the first byte of the first invalid sequence. Cost: O(text.size()).
bool IsValidUtf8(std::string_view text, size_t* bad_offset = nullptr);

}  // namespace sieve
