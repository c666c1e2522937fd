#include "classifier/classifier_options.h"

#include <charconv>
#include <filesystem>
#include <vector>

namespace sieve::classifier {

Status ClassifierOptions::Validate() const {
  if (port < 0 || port > 65535) return Status::InvalidArgument("port must be 0..65535");
  if (threads < 1 || threads > 1024) return Status::InvalidArgument("--threads must be 1..1024");
  if (text_field.empty()) return Status::InvalidArgument("--text-field must not be empty");
  if (max_body_bytes == 0) return Status::InvalidArgument("--max-body-bytes must be positive");
  if (max_batch == 0) return Status::InvalidArgument("--max-batch must be positive");
  return faults.Validate();
}

Result<ListenAddress> ParseListenAddress(std::string_view text) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return Status::InvalidArgument("listen address '" + std::string(text) + "' is not HOST:PORT");
  }
  ListenAddress address;
  std::string_view host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  address.host = host.empty() ? "127.0.0.1" : std::string(host);
  const std::string_view port = text.substr(colon + 1);
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), address.port);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || address.port < 0 ||
      address.port > 65535) {
    return Status::InvalidArgument("listen address '" + std::string(text) +
                                   "' has a bad port (0..65535)");
  }
  return address;
}

Result<std::string> DefaultModelPath() {
  namespace fs = std::filesystem;
  std::vector<fs::path> candidates;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) candidates.push_back(exe.parent_path() / kDefaultModelFileName);
#ifdef SIEVE_CLASSIFIER_DEFAULT_MODEL
  candidates.emplace_back(SIEVE_CLASSIFIER_DEFAULT_MODEL);
#endif
  if (!ec) {
    candidates.push_back(exe.parent_path().parent_path() / "share" / "sieve" /
                         kDefaultModelFileName);
  }
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
