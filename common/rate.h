// Rate: "so many per unit of time", as users write it on the command line: `600/min`, `10/s`,
// `90000/min`, `5000/h`. Used by job options (`--rate`, `--token-rate`) and the broker's
// operator caps (`--limit NAME=600/min,tokens=90000/min`).
//
// Thread-safety: values; all functions are reentrant.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace sieve {

struct Rate {
  double per_second = 0;  // > 0 for a parsed rate

  bool operator==(const Rate&) const = default;
  // The stricter of two rates.
  static Rate Min(Rate a, Rate b) { return a.per_second <= b.per_second ? a : b; }
};

// Parses `COUNT/UNIT` with COUNT a positive number (decimals allowed) and UNIT one of s, sec,
// second, m, min, minute, h, hour. InvalidArgument naming the text and the expected form
// otherwise (zero, negative, missing unit, unknown unit, trailing characters).
Result<Rate> ParseRate(std::string_view text);

// The rate as a user would write it: per minute when that count is whole ("600/min",
// "30/min" for 0.5/s), else per second ("0.01/s").
std::string FormatRate(Rate rate);

}  // namespace sieve
