// JSON string escaping for request bodies (worker/json_body.h, common/body_template.h).
//
// The escaping is hand-written for the hot path: bytes that need no escaping are copied in runs.
// UTF-8 is validated first (common/utf8.h: overlong forms, surrogates and code points past
// U+10FFFF are refused), so a field with invalid UTF-8 becomes a per-row error, not a bad
// request. Control bytes become \n, \r, \t, \b, \f or \u00XX; '"' and '\\' are escaped; every
// other byte (UTF-8 multibyte sequences included) is copied as it is.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace sieve {

// Appends `text` as a JSON string literal (with quotes) to `out`.
// On success returns true. On invalid UTF-8 returns false, sets *bad_offset to the offset of
// the first offending byte in `text`, and leaves `out` unchanged. Cost: O(text.size()).
[[nodiscard]] bool AppendJsonString(std::string_view text, std::string* out, size_t* bad_offset);

// The same without the quotes: the escaped content, for text spliced into a JSON string.
[[nodiscard]] bool AppendJsonEscaped(std::string_view text, std::string* out, size_t* bad_offset);

}  // namespace sieve
