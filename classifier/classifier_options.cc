#include "classifier/classifier_options.h"

#include <filesystem>
#include <vector>

namespace sieve::classifier {

Status ClassifierOptions::Validate() const {
  if (port < 0 || port > 65535) return Status::InvalidArgument("port must be 0..65535");
  if (threads < 1 || threads > 1024) return Status::InvalidArgument("--threads must be 1..1024");
  if (text_field.empty()) return Status::InvalidArgument("--text-field must not be empty");
  if (max_body_bytes == 0) return Status::InvalidArgument("--max-body-bytes must be positive");
  if (max_batch == 0) return Status::InvalidArgument("--max-batch must be positive");
  if (keep_alive_max_requests == 0) {
    return Status::InvalidArgument("--keep-alive-requests must be positive");
  }
  if (!(noisy_rate >= 0 && noisy_rate <= 1)) {
    return Status::InvalidArgument("--noisy-rate must be in [0, 1]");
  }
  return faults.Validate();
}

Result<std::string> DefaultModelPath() {
  namespace fs = std::filesystem;
  std::vector<fs::path> candidates;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  // Beside the executable (build tree), then the installed layout (PREFIX/bin ->
  // PREFIX/share/sieve), and only then the build tree's path compiled in: an installed
  // executable must not pick up a model from the tree it was built in.
  if (!ec) {
    candidates.push_back(exe.parent_path() / kDefaultModelFileName);
    candidates.push_back(exe.parent_path().parent_path() / "share" / "sieve" /
                         kDefaultModelFileName);
  }
#ifdef SIEVE_CLASSIFIER_DEFAULT_MODEL
  candidates.emplace_back(SIEVE_CLASSIFIER_DEFAULT_MODEL);
#endif
  std::string tried;
  for (const fs::path& candidate : candidates) {
    if (fs::is_regular_file(candidate, ec)) return candidate.string();
    tried += (tried.empty() ? "" : ", ") + candidate.string();
  }
  return Status::NotFound("no default model found (tried " + tried +
                          "); pass --model FILE or build the target "
                          "sieve_classifier_default_model");
}

}  // namespace sieve::classifier
