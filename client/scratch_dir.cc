#include "client/scratch_dir.h"

#include <stdlib.h>

#include <filesystem>
#include <system_error>

namespace sieve {

ScratchDir::ScratchDir(const std::string& chosen, const std::string& prefix) : path_(chosen) {
  if (!path_.empty()) return;
  std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) != nullptr) {
    path_ = pattern;
    owned_ = true;
  }
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  if (owned_) std::filesystem::remove_all(path_, ec);
}

}  // namespace sieve
