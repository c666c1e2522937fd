#include "client/run_command.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <filesystem>

#include "client/commands.h"
#include "client/exit_codes.h"
#include "client/job_watch.h"
#include "client/local_cluster.h"
#include "common/private_dir.h"

namespace sieve {
namespace {

// A private temporary directory, removed when the run ends (unless the user chose one).
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& chosen) : path_(chosen) {
    if (!path_.empty()) return;
    std::string pattern = (std::filesystem::temp_directory_path() / "sieve-run-XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) {
      path_ = pattern;
      owned_ = true;
    }
  }
  ~ScratchDir() {
    std::error_code ec;
    if (owned_) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool owned_ = false;
};

}  // namespace

int RunCommand(JobRequest request, const RunOptions& options) {
  Status valid = ValidateInputs(request);
  if (!valid.ok()) {
    std::fprintf(stderr, "sieve: %s\n", valid.message().c_str());
    return ExitCodeFor(valid);
  }
  if (options.workers < 1) {
    std::fprintf(stderr, "sieve: --workers must be at least 1\n");
    return kExitUsage;
  }
  ScratchDir scratch(options.data_dir);  // a temporary one is made 0700 by mkdtemp
  if (scratch.path().empty()) {
    std::fprintf(stderr, "sieve: cannot create a temporary directory\n");
    return kExitJobFailed;
  }
  Status private_dir = PreparePrivateDir(scratch.path(), options.allow_shared_data_dir);
  if (!private_dir.ok()) {
    std::fprintf(stderr, "sieve: %s\n", private_dir.message().c_str());
    return kExitUsage;
  }
  spdlog::set_level(spdlog::level::warn);  // the progress line is the user interface here
  LocalClusterOptions cluster_options{scratch.path(), options.workers, options.concurrency,
                                      request.spec.endpoint.empty()};
  Result<std::unique_ptr<LocalCluster>> cluster = LocalCluster::Start(cluster_options);
  if (!cluster.ok()) {
    std::fprintf(stderr, "sieve: cannot start the local pipeline: %s\n",
                 cluster.status().message().c_str());
    return kExitJobFailed;
  }
  if (request.spec.endpoint.empty()) {
    request.spec.endpoint = (*cluster)->classifier_url();
    std::fprintf(stderr, "sieve: no --endpoint given: using the bundled classifier at %s\n",
                 request.spec.endpoint.c_str());
  }
  ClientOptions client;
  client.broker = (*cluster)->broker_endpoint();
  int code = SubmitCommand(client, request, WaitOptions{true, options.output});
  (*cluster)->Stop();
  if (code == kExitOk || code == kExitJobFailed) {
    if (std::filesystem::exists(options.output)) PrintOutputPreview(options.output, 5);
  }
  return code;
}

}  // namespace sieve
