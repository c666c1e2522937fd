#include "client/run_command.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <thread>

#include "client/commands.h"
#include "client/exit_codes.h"
#include "client/job_watch.h"
#include "client/local_cluster.h"
#include "client/output_path.h"
#include "client/run_identity.h"
#include "client/run_resume.h"
#include "client/scratch_dir.h"
#include "common/private_dir.h"

namespace sieve {
namespace {

constexpr std::chrono::seconds kCollectorWait{20};

// What to do after a budget stop: the same command again with a larger budget; `kept_dir`
// (a temporary data directory that is kept) must then be given as --data-dir.
std::string BudgetHint(const proto::JobSpec& spec, const std::string& kept_dir) {
  std::string hint = "run the same command again with a larger ";
  hint += spec.max_cost.empty() || spec.max_cost == "0" ? "--max-tokens" : "--max-cost";
  if (!kept_dir.empty()) hint += " and --data-dir " + ShellQuote(kept_dir);
  return hint + " (it continues this job; nothing done is sent again)";
}

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
  LocalClusterOptions cluster_options{data_dir, 0, 1, false, nullptr};
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
    Tell(options.control, "sieve: %s\n", valid.message().c_str());
    return ExitCodeFor(valid);
  }
  if (options.workers < 1) {
    Tell(options.control, "sieve: --workers must be at least 1\n");
    return kExitUsage;
  }
  ScratchDir scratch(options.data_dir, "sieve-run");  // a temporary one is made 0700 by mkdtemp
  if (scratch.path().empty()) {
    Tell(options.control, "sieve: cannot create a temporary directory\n");
    return kExitJobFailed;
  }
  Status private_dir = PreparePrivateDir(scratch.path(), options.allow_shared_data_dir);
  if (!private_dir.ok()) {
    Tell(options.control, "sieve: %s\n", private_dir.message().c_str());
    return kExitUsage;
  }
  const bool bundled = request.spec.endpoint.empty();
  Result<std::string> run_inputs = RunInputsOf(request, bundled);
  if (!run_inputs.ok()) {
    Tell(options.control, "sieve: %s\n", run_inputs.status().message().c_str());
    return ExitCodeFor(run_inputs.status());
  }
  request.spec.run_inputs = std::move(run_inputs).value();
  // A data directory of an earlier run may hold its unfinished job: this run continues it.
  Result<std::optional<UnfinishedRun>> unfinished =
      FindUnfinishedRun(scratch.path(), request.spec);
  if (!unfinished.ok()) {
    Tell(options.control, "sieve: %s\n", unfinished.status().message().c_str());
    return ExitCodeFor(unfinished.status());
  }
  spdlog::set_level(spdlog::level::warn);  // the progress line is the user interface here
  LocalClusterOptions cluster_options{scratch.path(), options.workers, options.concurrency,
                                      bundled, nullptr};
  if (*unfinished && bundled) {  // the bundled classifier listens on a new port this time
    cluster_options.before_broker = [&](const std::string& url) {
      return RepointBundledJob(scratch.path(), (*unfinished)->job_id, url);
    };
  }
  Result<std::unique_ptr<LocalCluster>> cluster = LocalCluster::Start(cluster_options);
  if (!cluster.ok()) {
    Tell(options.control, "sieve: cannot start the local pipeline: %s\n",
         cluster.status().message().c_str());
    return kExitJobFailed;
  }
  if (bundled) {
    request.spec.endpoint = (*cluster)->classifier_url();
    Tell(options.control, "sieve: no --endpoint given: using the bundled classifier at %s\n",
         request.spec.endpoint.c_str());
  }
  ClientOptions client;
  client.broker = (*cluster)->broker_endpoint();
  client.control = options.control;
  WaitOptions wait{true, options.output, "--data-dir " + ShellQuote(scratch.path()),
                   BudgetHint(request.spec, options.data_dir.empty() ? scratch.path() : "")};
  JobOutcome outcome = *unfinished ? ContinueRun(client, request, **unfinished, wait)
                                   : SubmitAndFollow(client, request, wait);
  (*cluster)->Stop();
  const bool cancelled = options.control != nullptr && options.control->cancel_requested();
  if (outcome.output_written) {
    if (options.control == nullptr) PrintOutputPreview(options.output, 5);
  } else if (!outcome.job_id.empty() && !cancelled) {
    // Requests were paid for: the state and results stay (invariant 7).
    scratch.Keep();
    Tell(options.control, "sieve: the job's state and results are kept in %s\n",
         scratch.path().c_str());
    if (outcome.exit_code == kExitPaused) {
      Tell(options.control,
           "sieve: once the endpoint accepts the job's requests again, run the same "
           "command with --data-dir %s: it continues this job\n",
           ShellQuote(options.data_dir.empty() ? scratch.path() : options.data_dir).c_str());
    }
  }
  return outcome.exit_code;
}

}  // namespace sieve
