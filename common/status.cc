#include "common/status.h"

namespace sieve {

std::string_view Status::CodeName(Code code) {
  switch (code) {
    case Code::kOk: return "OK";
    case Code::kInvalidArgument: return "invalid argument";
    case Code::kCorrupt: return "corrupt";
    case Code::kNotFound: return "not found";
    case Code::kIoError: return "I/O error";
    case Code::kUnavailable: return "unavailable";
    case Code::kTooLarge: return "too large";
    case Code::kVersionMismatch: return "version mismatch";
    case Code::kPermissionDenied: return "permission denied";
    case Code::kCancelled: return "cancelled";
    case Code::kInternal: return "internal error";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(CodeName(code_)) + ": " + message_;
}

}  // namespace sieve
