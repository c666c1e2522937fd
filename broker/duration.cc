#include "broker/duration.h"

#include <charconv>
#include <limits>

namespace sieve {

Result<int64_t> ParseDuration(const std::string& text) {
  if (text == "never") return int64_t{-1};
  int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [rest, ec] = std::from_chars(text.data(), end, value);
  std::string unit(rest, end);
  int64_t scale = 0;
  if (unit.empty() || unit == "s") scale = 1000;
  else if (unit == "ms") scale = 1;
  else if (unit == "m") scale = 60 * 1000;
  else if (unit == "h") scale = 3600 * 1000;
  else if (unit == "d") scale = 24 * 3600 * 1000;
  if (ec != std::errc() || rest == text.data() || value < 0 || scale == 0 ||
      value > std::numeric_limits<int64_t>::max() / scale) {
    return Status::InvalidArgument("'" + text +
                                   "' is not a duration: a whole number with ms, s, m, h or d "
                                   "(e.g. 90s, 1h, 7d), or 'never'");
  }
  return value * scale;
}

}  // namespace sieve
