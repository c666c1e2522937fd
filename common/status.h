// Status and Result<T>: how every fallible call in Sieve reports failure.
//
// Errors are values: a function that can fail returns Status (no payload) or Result<T>
// (a T or a Status). Both are [[nodiscard]]. Messages are written for the person who
// reads them: what went wrong, where, and what to do about it.
//
// Thread-safety: values; safe to copy and move between threads like std::string.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace sieve {

class [[nodiscard]] Status {
 public:
  enum class Code {
    kOk = 0,
    kInvalidArgument,  // the caller (a user, a flag, a file) gave something unusable
    kCorrupt,          // bytes from a file or a peer are malformed
    kNotFound,
    kIoError,          // the operating system refused a file or socket operation
    kUnavailable,      // a peer or service cannot be reached right now; retrying may help
    kTooLarge,         // an input exceeds a configured limit
    kVersionMismatch,  // a peer speaks a protocol version we do not
    kPermissionDenied,
    kCancelled,
    kInternal,         // a bug in Sieve
  };

  Status() = default;  // OK
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg) { return {Code::kInvalidArgument, std::move(msg)}; }
  static Status Corrupt(std::string msg) { return {Code::kCorrupt, std::move(msg)}; }
  static Status NotFound(std::string msg) { return {Code::kNotFound, std::move(msg)}; }
  static Status IoError(std::string msg) { return {Code::kIoError, std::move(msg)}; }
  static Status Unavailable(std::string msg) { return {Code::kUnavailable, std::move(msg)}; }
  static Status TooLarge(std::string msg) { return {Code::kTooLarge, std::move(msg)}; }
  static Status VersionMismatch(std::string msg) { return {Code::kVersionMismatch, std::move(msg)}; }
  static Status PermissionDenied(std::string msg) {
    return {Code::kPermissionDenied, std::move(msg)};
  }
  static Status Cancelled(std::string msg) { return {Code::kCancelled, std::move(msg)}; }
  static Status Internal(std::string msg) { return {Code::kInternal, std::move(msg)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // "<code name>: <message>", or "OK".
  std::string ToString() const;
  static std::string_view CodeName(Code code);

 private:
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  Code code_ = Code::kOk;
  std::string message_;
};

// Result<T> holds either a value or a non-OK Status.
// REQUIRES: a Result is never built from an OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}            // NOLINT: implicit by design
  Result(Status status) : state_(std::move(status)) {}     // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(state_); }
  // The error; OK when the Result holds a value.
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(state_); }

  // REQUIRES: ok().
  T& value() & { return std::get<T>(state_); }
  const T& value() const& { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> state_;
};

}  // namespace sieve

// Returns early from the enclosing function with the Status of `expr` when it is not OK.
#define SIEVE_RETURN_IF_ERROR(expr)            \
  do {                                         \
    ::sieve::Status sieve_status_ = (expr);    \
    if (!sieve_status_.ok()) return sieve_status_; \
  } while (0)
