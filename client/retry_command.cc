#include "client/retry_command.h"

#include <unistd.h>

#include <cstdio>

#include "client/broker_request.h"
#include "client/exit_codes.h"
#include "client/job_watch.h"
#include "client/output_path.h"
#include "client/peer_connection.h"
#include "client/progress.h"
#include "client/scratch_dir.h"
#include "client/submit.h"
#include "common/csv_chunker.h"
#include "common/csv_file_reader.h"
#include "common/csv_record.h"
#include "common/csv_writer.h"
#include "common/file_util.h"

namespace sieve {
namespace {

// The 0-based rows named by an errors report ("row,<first column>,reason", row 1-based).
Result<std::vector<uint64_t>> FailedRows(const std::string& errors) {
  Result<std::string> text = ReadFile(errors);
  if (!text.ok()) return text.status();
  RecordIterator records(*text);
  RecordFields fields;
  std::string_view record;
  std::vector<uint64_t> rows;
  bool header = true;
  while (true) {
    Result<bool> more = records.Next(&record);
    if (!more.ok()) return Status::Corrupt(errors + ": " + more.status().message());
    if (!*more) return rows;
    if (header) {
      header = false;
      continue;
    }
    SIEVE_RETURN_IF_ERROR(ParseRecord(record, &fields));
    char* end = nullptr;
    std::string number(fields[0]);
    uint64_t row = std::strtoull(number.c_str(), &end, 10);
    if (number.empty() || *end != '\0' || row == 0 || (!rows.empty() && row - 1 <= rows.back())) {
      return Status::Corrupt(errors + ": '" + number + "' is not the next row number");
    }
    rows.push_back(row - 1);
  }
}

}  // namespace

Result<std::string> WithoutLastField(std::string_view record) {
  RecordFields fields;
  SIEVE_RETURN_IF_ERROR(ParseRecord(record, &fields));
  if (fields.size() < 2) return Status::Corrupt("a record without a label column");
  std::string last = ",";
  AppendCsvField(fields[fields.size() - 1], &last);
  size_t terminator = 0;
  if (record.ends_with("\r\n")) {
    terminator = 2;
  } else if (record.ends_with("\n")) {
    terminator = 1;
  }
  std::string_view body = record.substr(0, record.size() - terminator);
  if (!body.ends_with(last)) return Status::Corrupt("a label column not written by sieve");
  std::string out(body.substr(0, body.size() - last.size()));
  out.append(record.substr(record.size() - terminator));
  return out;
}

Result<uint64_t> WriteFailedRows(const std::string& output, const std::string& errors,
                                 const std::string& retry_csv) {
  Result<std::vector<uint64_t>> failed = FailedRows(errors);
  if (!failed.ok()) return failed.status();
  Result<std::unique_ptr<CsvSource>> source = OpenCsvFile(output);
  if (!source.ok()) return source.status();
  CsvFileReader reader(std::move(*source), CsvLimits{});
  std::string out;
  CsvRawRecord record;
  bool header = true;
  uint64_t row = 0;
  size_t next = 0;
  while (next < failed->size()) {
    Result<bool> more = reader.Next(&record);
    if (!more.ok()) return more.status();
    if (!*more) break;
    if (!header && (*failed)[next] != row++) continue;
    Result<std::string> input = WithoutLastField(record.bytes);
    if (!input.ok()) return Status::Corrupt(output + ":" + std::to_string(record.line) + ": " +
                                            input.status().message());
    out += *input;
    if (header) {
      header = false;
    } else {
      ++next;
    }
  }
  if (next != failed->size()) {
    return Status::Corrupt(output + " has fewer rows than its errors report names");
  }
  SIEVE_RETURN_IF_ERROR(WriteFileAtomic(retry_csv, out));
  return static_cast<uint64_t>(failed->size());
}

int RetryCommand(const ClientOptions& client, const std::string& job_id,
                 const RetryOptions& options) {
  if (!options.output.empty()) {
    Status writable = CheckOutputPath(options.output);
    if (!writable.ok()) return FailCommand(writable);
  }
  zmq::context_t context;
  Result<PeerConnection> broker = ConnectBroker(context, client);
  if (!broker.ok()) return FailCommand(broker.status());
  Result<proto::JobStatus> status = QueryJob(*broker, job_id);
  if (!status.ok()) return FailCommand(status.status());
  if (status->state != proto::JobState::kDone) {
    return FailCommand(Status::InvalidArgument("job " + job_id + " is " +
                                        std::string(proto::EnumName(status->state)) +
                                        ": only a done job's failed rows can be retried"));
  }
  auto fetch_output = [&](const proto::JobStatus& done) {
    if (options.output.empty()) return kExitOk;
    Status fetched = FetchOutput(context, done, options.output, client.curve);
    if (!fetched.ok()) return FailCommand(fetched);
    std::fprintf(stderr, "sieve: output written to %s\n", options.output.c_str());
    return kExitOk;
  };
  if (status->error_rows == 0) {
    std::fprintf(stderr, "sieve: job %s has no failed rows: nothing to retry\n", job_id.c_str());
    return fetch_output(*status);
  }
  ScratchDir temp("", "sieve-retry");
  if (temp.path().empty()) return FailCommand(Status::IoError("cannot create a temporary directory"));
  const std::string fetched = temp.path() + "/output.csv";
  Status got = FetchOutput(context, *status, fetched, client.curve);
  if (!got.ok()) return FailCommand(got);
  const std::string retry_csv = temp.path() + "/failed-rows.csv";
  Result<uint64_t> rows = WriteFailedRows(fetched, fetched + kErrorsSuffix, retry_csv);
  if (!rows.ok()) return FailCommand(rows.status());

  JobRequest request;
  request.inputs = {retry_csv};
  request.spec.endpoint = "job " + job_id + "'s endpoint";  // the broker sets the job's spec
  request.spec.retry_of = job_id;
  request.spec.headers = options.headers;
  Result<SubmittedJob> retry = SubmitJob(*broker, request, nullptr);
  if (!retry.ok()) return FailCommand(retry.status());
  std::printf("%s\n", retry->job_id.c_str());
  std::fflush(stdout);
  std::fprintf(stderr,
               "sieve: retry job %s submitted: the %llu failed rows of job %s; its output is "
               "rebuilt when the retry job is done\n",
               retry->job_id.c_str(), static_cast<unsigned long long>(*rows), job_id.c_str());
  if (!options.wait) return kExitOk;

  ProgressReporter progress(stderr, ::isatty(STDERR_FILENO) != 0);
  Result<proto::JobStatus> ended = WaitForJob(*broker, retry->job_id, &progress);
  if (!ended.ok()) return FailCommand(ended.status());
  if (ended->state != proto::JobState::kDone) {
    std::fprintf(stderr, "sieve: retry job %s %s; job %s is unchanged\n", retry->job_id.c_str(),
                 std::string(proto::EnumName(ended->state)).c_str(), job_id.c_str());
    return kExitJobFailed;
  }
  Result<proto::JobStatus> done = QueryJob(*broker, job_id);
  if (!done.ok()) return FailCommand(done.status());
  std::fprintf(stderr, "sieve: job %s: %llu failed rows retried, %llu still failed\n",
               job_id.c_str(), static_cast<unsigned long long>(*rows),
               static_cast<unsigned long long>(done->error_rows));
  int fetched_code = fetch_output(*done);
  if (fetched_code != kExitOk) return fetched_code;
  return done->error_rows > 0 ? kExitJobFailed : kExitOk;
}

}  // namespace sieve
