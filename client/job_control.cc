#include "client/job_control.h"

#include <cstdarg>
#include <cstdio>

namespace sieve {
namespace {

std::string Format(const char* format, std::va_list args) {
  std::va_list copy;
  va_copy(copy, args);
  const int size = std::vsnprintf(nullptr, 0, format, copy);
  va_end(copy);
  if (size <= 0) return "";
  std::string text(static_cast<size_t>(size) + 1, '\0');
  std::vsnprintf(text.data(), text.size(), format, args);
  text.resize(static_cast<size_t>(size));
  return text;
}

}  // namespace

void JobControl::Publish(const proto::JobStatus& status) {
  std::lock_guard lock(mutex_);
  latest_ = status;
}

std::optional<proto::JobStatus> JobControl::latest() const {
  std::lock_guard lock(mutex_);
  return latest_;
}

void JobControl::AddMessage(std::string_view text) {
  std::lock_guard lock(mutex_);
  messages_ += text;
}

void JobControl::AddOutput(std::string_view text) {
  std::lock_guard lock(mutex_);
  output_ += text;
}

std::string JobControl::messages() const {
  std::lock_guard lock(mutex_);
  return messages_;
}

std::string JobControl::output() const {
  std::lock_guard lock(mutex_);
  return output_;
}

void Tell(JobControl* control, const char* format, ...) {
  std::va_list args;
  va_start(args, format);
  if (control == nullptr) {
    std::vfprintf(stderr, format, args);
  } else {
    control->AddMessage(Format(format, args));
  }
  va_end(args);
}

void Print(JobControl* control, const char* format, ...) {
  std::va_list args;
  va_start(args, format);
  if (control == nullptr) {
    std::vfprintf(stdout, format, args);
    std::fflush(stdout);
  } else {
    control->AddOutput(Format(format, args));
  }
  va_end(args);
}

}  // namespace sieve
