#include "client/job_watch.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>

#include "client/output_path.h"
#include "common/file_util.h"

namespace sieve {
namespace {

constexpr std::chrono::milliseconds kReplyTimeout{10'000};
constexpr uint64_t kFetchBytes = 4u << 20;

// Where waiting ends: the job ended, or stopped at its budget or paused (it waits for
// `sieve resume`).
bool Finished(proto::JobState state) {
  return state == proto::JobState::kDone || state == proto::JobState::kCancelled ||
         state == proto::JobState::kFailed || state == proto::JobState::kBudgetExhausted ||
         state == proto::JobState::kPaused;
}

std::string ErrnoText(const std::string& what) { return what + ": " + std::strerror(errno); }

// Streams one file of a finished job from the collector into `partial`, fsynced. On failure
// the file is removed.
Status FetchFile(PeerConnection& collector, const std::string& job_id, std::string_view file,
                 const std::string& partial) {
  std::FILE* out = std::fopen(partial.c_str(), "wb");
  if (out == nullptr) return Status::IoError(ErrnoText("cannot create " + partial));
  uint64_t offset = 0;
  Status status;
  while (status.ok()) {
    uint64_t id = collector.NextRequestId();
    proto::Fetch fetch{id, job_id, offset, kFetchBytes, std::string(file)};
    Result<proto::Message> reply = collector.Call(std::move(fetch), id, kReplyTimeout);
    if (!reply.ok()) {
      status = reply.status();
      break;
    }
    auto* data = std::get_if<proto::FetchReply>(&*reply);
    if (data == nullptr || data->offset != offset) {
      status = Status::Internal("unexpected answer to FETCH");
      break;
    }
    if (std::fwrite(data->data.data(), 1, data->data.size(), out) != data->data.size()) {
      status = Status::IoError(ErrnoText("cannot write " + partial));
      break;
    }
    offset += data->data.size();
    if (data->eof) break;
    if (data->data.empty()) status = Status::Internal("collector sent an empty block before eof");
  }
  // Flushed and fsynced before the rename, so that a crash never leaves a renamed but empty
  // or torn output.
  if (status.ok() && (std::fflush(out) != 0 || ::fsync(::fileno(out)) != 0)) {
    status = Status::IoError(ErrnoText("cannot write " + partial));
  }
  if (std::fclose(out) != 0 && status.ok()) {
    status = Status::IoError(ErrnoText("cannot write " + partial));
  }
  if (!status.ok()) (void)RemoveFile(partial);
  return status;
}

}  // namespace

Result<proto::JobStatus> QueryJob(PeerConnection& broker, const std::string& job_id) {
  uint64_t id = broker.NextRequestId();
  Result<proto::Message> reply =
      broker.Call(proto::StatusQuery{id, job_id}, id, kReplyTimeout);
  if (!reply.ok()) return reply.status();
  auto* status = std::get_if<proto::StatusReply>(&*reply);
  if (status == nullptr || status->jobs.size() != 1) {
    return Status::Internal("unexpected answer to STATUS");
  }
  return status->jobs[0];
}

Status CancelJob(PeerConnection& broker, const std::string& job_id) {
  uint64_t id = broker.NextRequestId();
  return broker.Call(proto::Cancel{id, job_id}, id, kReplyTimeout).status();
}

Result<proto::JobStatus> WaitForJob(PeerConnection& broker, const std::string& job_id,
                                    ProgressReporter* progress, JobControl* control,
                                    std::chrono::milliseconds poll) {
  // A broker that just restarted knows the collector again only once the collector's next
  // heartbeat re-registers it: a done job is followed until then (kCollectorGraceMs at most).
  constexpr std::chrono::milliseconds kCollectorGraceMs{15'000};
  std::chrono::steady_clock::time_point done_at{};
  while (true) {
    Result<proto::JobStatus> status = QueryJob(broker, job_id);
    if (!status.ok()) return status;
    bool finished = Finished(status->state);
    if (finished && status->state == proto::JobState::kDone && status->collector.empty()) {
      const auto now = std::chrono::steady_clock::now();
      if (done_at == std::chrono::steady_clock::time_point{}) done_at = now;
      finished = now - done_at >= kCollectorGraceMs;
    }
    if (progress != nullptr) progress->Update(*status, finished);
    if (control != nullptr) control->Publish(*status);
    if (finished) return status;
    if (control != nullptr && control->cancel_requested()) {
      SIEVE_RETURN_IF_ERROR(CancelJob(broker, job_id));
      return Status::Cancelled("job " + job_id + " cancelled (interrupted)");
    }
    std::this_thread::sleep_for(poll);
  }
}

Status FetchOutput(zmq::context_t& context, const proto::JobStatus& status,
                   const std::string& path, const CurveConfig& curve) {
  if (status.state != proto::JobState::kDone) {
    return Status::InvalidArgument("job " + status.job_id + " is " +
                                   std::string(proto::EnumName(status.state)) +
                                   ", so it has no output to fetch");
  }
  if (status.collector.empty()) {
    return Status::Unavailable("the broker knows no collector for job " + status.job_id);
  }
  Result<PeerConnection> collector =
      PeerConnection::Connect(context, status.collector, curve, status.collector_public_key);
  if (!collector.ok()) return collector.status();
  struct File {
    std::string_view name;  // as FETCH names it
    std::string path;
  };
  std::vector<File> files = {{proto::kFetchOutput, path},
                             {proto::kFetchSummary, path + kSummarySuffix}};
  if (status.error_rows > 0) files.push_back({proto::kFetchErrors, path + kErrorsSuffix});
  // Every file is fetched to NAME.partial first; the renames come only when all are complete,
  // the output last, so an output in place means its summary and errors report are too.
  Status fetched;
  for (size_t i = 0; i < files.size() && fetched.ok(); ++i) {
    fetched = FetchFile(*collector, status.job_id, files[i].name, files[i].path + kPartialSuffix);
  }
  for (size_t i = files.size(); fetched.ok() && i-- > 0;) {
    std::string partial = files[i].path + kPartialSuffix;
    if (std::rename(partial.c_str(), files[i].path.c_str()) != 0) {
      fetched = Status::IoError(ErrnoText("cannot rename " + partial + " to " + files[i].path));
    }
  }
  if (!fetched.ok()) {
    for (const File& file : files) (void)RemoveFile(file.path + kPartialSuffix);
  }
  return fetched;
}

}  // namespace sieve
