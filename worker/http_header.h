// HTTP header names: compared without regard to case (RFC 9110), and looked up in the
// "Name: value" lines the engine's options hold (--header).
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sieve {

// ASCII case-insensitive equality (header names, tokens such as "chunked" or "close").
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// True when `line` ("Name: value") is a header called `name`.
bool HeaderLineIs(std::string_view line, std::string_view name);

// True when one of `lines` is a header called `name`.
bool HasHeader(const std::vector<std::string>& lines, std::string_view name);

}  // namespace sieve
