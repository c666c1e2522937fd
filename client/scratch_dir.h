// ScratchDir: a private temporary directory (mkdtemp: mode 0700) removed with everything in it
// when it goes out of scope, unless kept; or a directory the user chose, never removed.
//
// Thread-safety: not thread-safe.
#pragma once
#include <string>

namespace sieve {

class ScratchDir {
 public:
  // `chosen` not empty: that directory, never removed. Else a new one under the system's
  // temporary directory named `prefix`-XXXXXX; path() is empty when it cannot be made.
  ScratchDir(const std::string& chosen, const std::string& prefix);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }
  // The directory stays after this object (its results are worth keeping).
  void Keep() { owned_ = false; }

 private:
  std::string path_;
  bool owned_ = false;
};

}  // namespace sieve
