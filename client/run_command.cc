#include "client/run_command.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "client/commands.h"
#include "client/exit_codes.h"
#include "client/job_watch.h"
#include "client/local_cluster.h"
#include "client/output_path.h"
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
  void Keep() { owned_ = false; }

 private:
  std::string path_;
  bool owned_ = false;
};

constexpr std::chrono::seconds kCollectorWait{20};

// The status of `job_id` once the broker knows a collector for it (the collector registers
// shortly after it starts). Fails with NotFound (unknown job) or Unavailable (no collector).
Result<proto::JobStatus> WaitForCollector(PeerConnection& broker, const std::string& job_id) {
  auto deadline = std::chrono::steady_clock::now() + kCollectorWait;
  while (true) {
    Result<proto::JobStatus> status = QueryJob(broker, job_id);
    if (!status.ok() || !status->collector.empty()) return status;
    if (std::chrono::steady_clock::now() > deadline) {
      return Status::Unavailable("the collector of the data directory did not start");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace

int FetchFromDataDirCommand(const std::string& data_dir, const std::string& job_id,
                            const std::string& output) {
  if (!std::filesystem::is_directory(data_dir + "/broker") ||
      !std::filesystem::is_directory(data_dir + "/collector")) {
    std::fprintf(stderr,
                 "sieve: %s is not a data directory of sieve run (it has no broker/ and "
                 "collector/); give the directory that sieve run named\n",
                 data_dir.c_str());
    return kExitUsage;
  }
  Status writable = CheckOutputPath(output);
  if (!writable.ok()) {
    std::fprintf(stderr, "sieve: %s\n", writable.message().c_str());
    return ExitCodeFor(writable);
  }
  spdlog::set_level(spdlog::level::warn);
  LocalClusterOptions cluster_options{data_dir, 0, 1, false};
  Result<std::unique_ptr<LocalCluster>> cluster = LocalCluster::Start(cluster_options);
  if (!cluster.ok()) {
    std::fprintf(stderr, "sieve: cannot open the data directory %s: %s\n", data_dir.c_str(),
                 cluster.status().message().c_str());
    return kExitJobFailed;
  }
  ClientOptions client;
  client.broker = (*cluster)->broker_endpoint();
  int code = kExitOk;
  {
    Result<PeerConnection> broker =
        PeerConnection::Connect((*cluster)->context(), client.broker, client.curve, "");
    Result<proto::JobStatus> status =
        broker.ok() ? WaitForCollector(*broker, job_id) : Result<proto::JobStatus>(broker.status());
    if (!status.ok()) {
      std::fprintf(stderr, "sieve: job %s in %s: %s\n", job_id.c_str(), data_dir.c_str(),
                   status.status().message().c_str());
      code = ExitCodeFor(status.status());
    }
  }
  if (code == kExitOk)
    code = FetchCommand(client, job_id, output, "--data-dir " + ShellQuote(data_dir));
  (*cluster)->Stop();
  if (code == kExitOk) {
    std::fprintf(stderr, "sieve: %s is no longer needed once you have the output (rm -r %s)\n",
                 data_dir.c_str(), data_dir.c_str());
  }
  return code;
}

int RunCommand(JobRequest request, const RunOptions& options) {
  Status valid = CheckOutputPath(options.output, request.inputs);
  if (valid.ok()) valid = ValidateInputs(request);
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
  JobOutcome outcome = SubmitAndFollow(
      client, request,
      WaitOptions{true, options.output, "--data-dir " + ShellQuote(scratch.path())});
  (*cluster)->Stop();
  if (outcome.output_written) {
    PrintOutputPreview(options.output, 5);
  } else if (!outcome.job_id.empty()) {
    // Requests were paid for: the state and results stay (invariant 7).
    scratch.Keep();
    std::fprintf(stderr, "sieve: the job's state and results are kept in %s\n",
                 scratch.path().c_str());
    if (outcome.exit_code == kExitBudgetExhausted) {
      std::fprintf(stderr,
                   "sieve: `sieve run` stopped its own broker with it, so `sieve resume` has "
                   "nothing to talk to: a job you may want to resume after a budget stop is "
                   "best submitted to a running broker (sieve submit; docs/llm.md, Budgets)\n");
    }
  }
  return outcome.exit_code;
}

}  // namespace sieve
