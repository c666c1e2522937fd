#include "proto/message_parts.h"

#include <array>
#include <cstddef>

namespace sieve::proto {
namespace {

constexpr std::array<std::string_view, 7> kJobStateNames = {
    "open", "sealed", "done", "failed", "cancelled", "budget_exhausted", "paused"};
constexpr std::array<std::string_view, 9> kErrorCodeNames = {
    "unknown", "malformed", "version_mismatch", "too_large", "not_allowed", "unknown_job",
    "invalid", "busy",      "internal"};
static_assert(static_cast<std::size_t>(JobState::kPaused) + 1 == kJobStateNames.size());
static_assert(static_cast<std::size_t>(ErrorCode::kInternal) + 1 == kErrorCodeNames.size());

template <typename E, std::size_t N>
bool ParseName(const std::array<std::string_view, N>& names, std::string_view name, E* out) {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == name) {
      *out = static_cast<E>(i);
      return true;
    }
  }
  return false;
}

}  // namespace

std::string_view EnumName(JobState state) {
  return kJobStateNames[static_cast<std::size_t>(state)];
}

std::string_view EnumName(ErrorCode code) {
  return kErrorCodeNames[static_cast<std::size_t>(code)];
}

bool ParseEnumName(std::string_view name, JobState* out) {
  return ParseName(kJobStateNames, name, out);
}

bool ParseEnumName(std::string_view name, ErrorCode* out) {
  if (!ParseName(kErrorCodeNames, name, out)) *out = ErrorCode::kUnknown;
  return true;
}

ErrorCode ErrorCodeFor(const Status& status) {
  switch (status.code()) {
    case Status::Code::kCorrupt:
      return ErrorCode::kMalformed;
    case Status::Code::kVersionMismatch:
      return ErrorCode::kVersionMismatch;
    case Status::Code::kTooLarge:
      return ErrorCode::kTooLarge;
    case Status::Code::kPermissionDenied:
      return ErrorCode::kNotAllowed;
    case Status::Code::kNotFound:
      return ErrorCode::kUnknownJob;
    case Status::Code::kInvalidArgument:
      return ErrorCode::kInvalid;
    case Status::Code::kUnavailable:
      return ErrorCode::kBusy;
    default:
      return ErrorCode::kInternal;
  }
}

}  // namespace sieve::proto
