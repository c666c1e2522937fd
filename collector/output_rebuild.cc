#include "collector/output_rebuild.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/csv_chunker.h"
#include "common/csv_file_reader.h"
#include "common/csv_record.h"
#include "common/csv_writer.h"
#include "common/file_util.h"
#include "common/token_price.h"

namespace sieve {
namespace {

using nlohmann::json;

constexpr size_t kFlushBytes = size_t{1} << 20;

// An errors report line: "row,<first column>,reason" (row 1-based).
struct ErrorLine {
  uint64_t row = 0;  // 1-based
  std::string first;
  std::string reason;
};

// The lines of an errors report (its header record is returned in *header). A missing file
// is an empty report.
Result<std::vector<ErrorLine>> ReadErrors(const std::string& path, std::string* header) {
  Result<std::string> text = ReadFile(path);
  if (!text.ok()) {
    if (text.status().code() == Status::Code::kNotFound) return std::vector<ErrorLine>{};
    return text.status();
  }
  std::vector<ErrorLine> lines;
  RecordIterator records(*text);
  RecordFields fields;
  std::string_view record;
  bool first = true;
  while (true) {
    Result<bool> more = records.Next(&record);
    if (!more.ok()) return Status::Corrupt(path + ": " + more.status().message());
    if (!*more) break;
    if (first) {
      if (header != nullptr) *header = std::string(record);
      first = false;
      continue;
    }
    SIEVE_RETURN_IF_ERROR(ParseRecord(record, &fields));
    if (fields.size() != 3) return Status::Corrupt(path + ": a line without 3 fields");
    ErrorLine line;
    try {
      line.row = std::stoull(std::string(fields[0]));
    } catch (...) {
      return Status::Corrupt(path + ": a row number that is not a number");
    }
    line.first = std::string(fields[1]);
    line.reason = std::string(fields[2]);
    lines.push_back(std::move(line));
  }
  return lines;
}

// Appends to a new file with a buffer; Close fsyncs.
class FileWriter {
 public:
  explicit FileWriter(std::string path) : path_(std::move(path)) {}
  ~FileWriter() {
    if (fd_ >= 0) ::close(fd_);
  }
  Status Open() {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd_ < 0) return Status::IoError("cannot create " + path_ + ": " + std::strerror(errno));
    return Status::Ok();
  }
  Status Append(std::string_view data) {
    buffer_.append(data);
    return buffer_.size() >= kFlushBytes ? Flush() : Status::Ok();
  }
  Status Close() {
    SIEVE_RETURN_IF_ERROR(Flush());
    if (::fsync(fd_) != 0) return Status::IoError("cannot fsync " + path_ + ": " + std::strerror(errno));
    ::close(fd_);
    fd_ = -1;
    return Status::Ok();
  }

 private:
  Status Flush() {
    std::string_view data = buffer_;
    while (!data.empty()) {
      ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return Status::IoError("cannot write " + path_ + ": " + std::strerror(errno));
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    buffer_.clear();
    return Status::Ok();
  }

  std::string path_;
  int fd_ = -1;
  std::string buffer_;
};

Result<CsvFileReader> OpenReader(const std::string& path) {
  Result<std::unique_ptr<CsvSource>> source = OpenCsvFile(path);
  if (!source.ok()) return source.status();
  return CsvFileReader(std::move(*source), CsvLimits{});
}

Status Rename(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    return Status::IoError("cannot rename " + from + " to " + to + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

// The failed rows (0-based) the retry job holds: from rebuild.json when a rebuild with this
// retry job was under way, else from the done job's errors report.
Result<std::vector<uint64_t>> FailedRows(const JobOutput& done, const JobOutput& retry,
                                         const std::string& intent_path) {
  Result<std::string> intent = ReadFile(intent_path);
  if (intent.ok()) {
    json j = json::parse(*intent, nullptr, /*allow_exceptions=*/false);
    if (j.is_object() && j.value("retry_job", std::string()) == retry.meta().job_id &&
        j.contains("rows") && j["rows"].is_array()) {
      return j["rows"].get<std::vector<uint64_t>>();
    }
  } else if (intent.status().code() != Status::Code::kNotFound) {
    return intent.status();
  }
  Result<std::vector<ErrorLine>> errors = ReadErrors(done.errors_path(), nullptr);
  if (!errors.ok()) return errors.status();
  std::vector<uint64_t> rows;
  rows.reserve(errors->size());
  for (const ErrorLine& e : *errors) {
    if (e.row == 0 || (!rows.empty() && e.row - 1 <= rows.back())) {
      return Status::Corrupt(done.errors_path() + ": row numbers out of order");
    }
    rows.push_back(e.row - 1);
  }
  if (rows.size() != retry.progress().rows) {
    return Status::InvalidArgument(
        "job " + done.meta().job_id + " has " + std::to_string(rows.size()) +
        " failed rows now, retry job " + retry.meta().job_id + " holds " +
        std::to_string(retry.progress().rows) + ": its results are not applied (run sieve retry "
        "again)");
  }
  json j = {{"retry_job", retry.meta().job_id}, {"rows", rows}};
  SIEVE_RETURN_IF_ERROR(WriteFileAtomic(intent_path, j.dump()));
  return rows;
}

// Writes the output with the retried rows substituted into `path`.
Status WriteOutput(const JobOutput& done, const JobOutput& retry,
                   const std::vector<uint64_t>& failed, const std::string& path) {
  Result<CsvFileReader> base = OpenReader(done.output_path());
  if (!base.ok()) return base.status();
  Result<CsvFileReader> fresh = OpenReader(retry.output_path());
  if (!fresh.ok()) return fresh.status();
  FileWriter out(path);
  SIEVE_RETURN_IF_ERROR(out.Open());
  CsvRawRecord record;
  Result<bool> more = fresh->Next(&record);  // the retry's header: the same as the done job's
  if (!more.ok()) return more.status();
  bool header = true;
  uint64_t row = 0;
  size_t next = 0;
  while (true) {
    more = base->Next(&record);
    if (!more.ok()) return more.status();
    if (!*more) break;
    if (header) {
      header = false;
      SIEVE_RETURN_IF_ERROR(out.Append(record.bytes));
      continue;
    }
    if (next < failed.size() && failed[next] == row) {
      CsvRawRecord retried;
      Result<bool> got = fresh->Next(&retried);
      if (!got.ok()) return got.status();
      if (!*got) return Status::Corrupt(retry.output_path() + " ends before row " +
                                        std::to_string(row + 1) + " of job " +
                                        done.meta().job_id);
      SIEVE_RETURN_IF_ERROR(out.Append(retried.bytes));
      ++next;
    } else {
      SIEVE_RETURN_IF_ERROR(out.Append(record.bytes));
    }
    ++row;
  }
  if (next != failed.size()) {
    return Status::Corrupt(done.output_path() + " ends before its failed row " +
                           std::to_string(failed[next] + 1));
  }
  return out.Close();
}

}  // namespace

Result<RebuildOutcome> RebuildAfterRetry(JobOutput& done, const JobOutput& retry) {
  const std::string& id = retry.meta().job_id;
  const std::string intent_path = done.dir() + "/rebuild.json";
  Result<std::string> summary_text = ReadFile(done.summary_path());
  if (!summary_text.ok()) return summary_text.status();
  json summary = json::parse(*summary_text, nullptr, /*allow_exceptions=*/false);
  if (!summary.is_object()) return Status::Corrupt(done.summary_path() + " is not JSON");
  json retried_by = summary.value("retried_by", json::array());
  bool named = false;
  for (const json& r : retried_by) named = named || (r.is_string() && r.get<std::string>() == id);
  const bool resuming = FileSize(intent_path).ok();
  if (named && !resuming) return RebuildOutcome{true, 0, done.progress().error_rows};

  Result<std::vector<uint64_t>> failed = FailedRows(done, retry, intent_path);
  if (!failed.ok()) return failed.status();
  std::string errors_header;
  Result<std::vector<ErrorLine>> retry_errors = ReadErrors(retry.errors_path(), nullptr);
  if (!retry_errors.ok()) return retry_errors.status();
  Result<std::vector<ErrorLine>> old_errors = ReadErrors(done.errors_path(), &errors_header);
  if (!old_errors.ok()) return old_errors.status();
  if (errors_header.empty()) {
    // No errors report left (a crash after it was removed): rebuild its header.
    errors_header = "row,";
    RecordFields fields;
    SIEVE_RETURN_IF_ERROR(ParseRecord(done.meta().header_record, &fields));
    AppendCsvField(fields.empty() ? std::string_view() : fields[0], &errors_header);
    errors_header += ",reason\n";
  }

  // 1. The output, in one pass.
  const std::string output_tmp = done.dir() + "/output.rebuild";
  SIEVE_RETURN_IF_ERROR(WriteOutput(done, retry, *failed, output_tmp));
  // 2. The errors report: the rows that failed again, numbered as in the done job.
  std::string errors = errors_header;
  for (const ErrorLine& e : *retry_errors) {
    if (e.row == 0 || e.row > failed->size()) {
      return Status::Corrupt(retry.errors_path() + ": row " + std::to_string(e.row) +
                             " is not one of the retried rows");
    }
    errors += std::to_string((*failed)[e.row - 1] + 1) + ",";
    AppendCsvField(e.first, &errors);
    errors += ",";
    AppendCsvField(e.reason, &errors);
    errors += "\n";
  }
  const uint64_t error_rows = retry_errors->size();
  // 3. The summary, counted once per retry job.
  if (!named) {
    Result<std::string> retry_text = ReadFile(retry.summary_path());
    if (!retry_text.ok()) return retry_text.status();
    json r = json::parse(*retry_text, nullptr, /*allow_exceptions=*/false);
    if (!r.is_object()) return Status::Corrupt(retry.summary_path() + " is not JSON");
    summary["retries"] = summary.value("retries", uint64_t{0}) + r.value("retries", uint64_t{0});
    summary["retried_rows"] =
        summary.value("retried_rows", uint64_t{0}) + r.value("rows", uint64_t{0});
    if (summary.contains("tokens") && r.contains("tokens")) {
      for (const char* kind : {"prompt", "completion"}) {
        summary["tokens"][kind] = summary["tokens"].value(kind, uint64_t{0}) +
                                  r["tokens"].value(kind, uint64_t{0});
      }
    }
    summary["invalid_answers"] =
        summary.value("invalid_answers", uint64_t{0}) + r.value("invalid_answers", uint64_t{0});
    retried_by.push_back(id);
    summary["retried_by"] = retried_by;
  }
  const uint64_t rows = summary.value("rows", uint64_t{0});
  summary["errors"] = error_rows;
  summary["labelled"] = rows - std::min(rows, error_rows);
  summary["invalid_rows"] =
      std::min(summary.value("invalid_rows", uint64_t{0}), error_rows);  // only failed rows count
  if (!done.meta().price.empty() && summary.contains("tokens")) {
    Result<TokenPrice> price = ParseTokenPrice(done.meta().price);
    if (price.ok()) {
      summary["cost"] = price->Cost(summary["tokens"].value("prompt", uint64_t{0}),
                                    summary["tokens"].value("completion", uint64_t{0}));
    }
  }

  // 4. Into place: output, errors report, summary (it names the retry job), then the intent
  // goes. A crash before the end leaves rebuild.json, and the next call finishes the same way.
  SIEVE_RETURN_IF_ERROR(Rename(output_tmp, done.output_path()));
  if (error_rows > 0) {
    SIEVE_RETURN_IF_ERROR(WriteFileAtomic(done.errors_path(), errors));
  } else if (::unlink(done.errors_path().c_str()) != 0 && errno != ENOENT) {
    return Status::IoError("cannot remove " + done.errors_path() + ": " + std::strerror(errno));
  }
  SIEVE_RETURN_IF_ERROR(WriteFileAtomic(done.summary_path(), summary.dump(2) + "\n"));
  SIEVE_RETURN_IF_ERROR(done.NoteRebuilt(error_rows));
  if (::unlink(intent_path.c_str()) != 0 && errno != ENOENT) {
    return Status::IoError("cannot remove " + intent_path + ": " + std::strerror(errno));
  }
  SIEVE_RETURN_IF_ERROR(SyncDir(done.dir()));
  return RebuildOutcome{false, failed->size(), error_rows};
}

}  // namespace sieve
