#include "common/rate.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace sieve {
namespace {

Status Invalid(std::string_view text, std::string_view why) {
  return Status::InvalidArgument("invalid rate '" + std::string(text) + "': " +
                                 std::string(why) + " (expected COUNT/UNIT, e.g. 600/min, 10/s)");
}

std::optional<double> SecondsPer(std::string_view unit) {
  if (unit == "s" || unit == "sec" || unit == "second") return 1.0;
  if (unit == "m" || unit == "min" || unit == "minute") return 60.0;
  if (unit == "h" || unit == "hour") return 3600.0;
  return std::nullopt;
}

}  // namespace

Result<Rate> ParseRate(std::string_view text) {
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) return Invalid(text, "no unit");
  std::string_view count_text = text.substr(0, slash);
  double count = 0;
  auto [end, error] = std::from_chars(count_text.data(), count_text.data() + count_text.size(),
                                      count);
  if (error != std::errc() || end != count_text.data() + count_text.size() || count_text.empty()) {
    return Invalid(text, "the count is not a number");
  }
  if (!(count > 0) || !std::isfinite(count)) return Invalid(text, "the count must be positive");
  std::optional<double> seconds = SecondsPer(text.substr(slash + 1));
  if (!seconds) return Invalid(text, "unknown unit (use s, min or h)");
  return Rate{count / *seconds};
}

std::string FormatRate(Rate rate) {
  char buffer[64];
  double per_minute = rate.per_second * 60;
  if (std::abs(per_minute - std::round(per_minute)) < 1e-6 && per_minute >= 1) {
    std::snprintf(buffer, sizeof buffer, "%.0f/min", std::round(per_minute));
  } else {
    std::snprintf(buffer, sizeof buffer, "%g/s", rate.per_second);
  }
  return buffer;
}

}  // namespace sieve
