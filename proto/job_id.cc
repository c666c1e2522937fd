#include "proto/job_id.h"

#include "proto/constants.h"

namespace sieve::proto {
namespace {

constexpr std::string_view kHexDigits = "0123456789abcdef";

// The value of a lowercase hex digit, or -1.
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

std::string FormatJobId(std::uint64_t number) {
  std::string id(kJobIdLength, '0');
  id[0] = 'j';
  for (std::size_t i = kJobIdLength - 1; i >= 1; --i) {
    id[i] = kHexDigits[number & 0xf];
    number >>= 4;
  }
  return id;
}

bool IsValidJobId(std::string_view id) { return ParseJobId(id).ok(); }

Result<std::uint64_t> ParseJobId(std::string_view id) {
  std::uint64_t number = 0;
  bool ok = id.size() == kJobIdLength && id[0] == 'j';
  for (std::size_t i = 1; ok && i < id.size(); ++i) {
    int digit = HexValue(id[i]);
    ok = digit >= 0;
    number = (number << 4) | static_cast<std::uint64_t>(digit & 0xf);
  }
  if (!ok) {
    return Status::Corrupt("invalid job id (want 'j' + 16 lowercase hex digits), got " +
                           std::to_string(id.size()) + " bytes");
  }
  return number;
}

}  // namespace sieve::proto
