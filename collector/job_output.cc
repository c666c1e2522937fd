#include "collector/job_output.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/output_records.h"
#include "common/clock.h"
#include "common/csv_record.h"
#include "common/csv_writer.h"
#include "common/file_util.h"
#include "common/token_price.h"

namespace sieve {
namespace {

using nlohmann::json;

Status ErrnoError(std::string_view what, const std::string& path) {
  return Status::IoError(std::string(what) + " " + path + ": " + std::strerror(errno));
}

// Writes `data` at `offset` and fsyncs, so that the bytes are durable when it returns OK.
Status WriteAtAndSync(int fd, uint64_t offset, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("cannot write", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
    offset += static_cast<uint64_t>(n);
  }
  if (::fdatasync(fd) != 0) return ErrnoError("cannot fsync", path);
  return Status::Ok();
}

Result<json> ReadJson(const std::string& path) {
  Result<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  json j = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Status::Corrupt(path + " is not a JSON object");
  return j;
}

// The first field of `record`, for the errors report; empty when it does not parse.
std::string FirstField(std::string_view record) {
  RecordFields fields;
  if (!ParseRecord(record, &fields).ok() || fields.empty()) return std::string();
  return std::string(fields[0]);
}

}  // namespace

Result<std::unique_ptr<JobOutput>> JobOutput::Open(const std::string& dir, const JobMeta& meta) {
  if (FileExists(dir + "/meta.json")) {
    Result<std::unique_ptr<JobOutput>> job = Recover(dir);
    if (!job.ok()) return job.status();
    if (meta.sealed) SIEVE_RETURN_IF_ERROR((*job)->Seal(meta.total_chunks, meta.total_rows));
    return job;
  }
  std::unique_ptr<JobOutput> job(new JobOutput(dir));
  job->meta_ = meta;
  SIEVE_RETURN_IF_ERROR(job->Initialize());
  return job;
}

Result<std::unique_ptr<JobOutput>> JobOutput::Recover(const std::string& dir) {
  if (!FileExists(dir + "/meta.json")) return Status::NotFound("no job in " + dir);
  std::unique_ptr<JobOutput> job(new JobOutput(dir));
  SIEVE_RETURN_IF_ERROR(job->LoadState());
  return job;
}

JobOutput::~JobOutput() {
  if (output_fd_ >= 0) ::close(output_fd_);
  if (errors_fd_ >= 0) ::close(errors_fd_);
  if (log_fd_ >= 0) ::close(log_fd_);
}

std::string JobOutput::ResultPath(uint64_t chunk_index) const {
  return dir_ + "/results/" + std::to_string(chunk_index) + ".res";
}

Status JobOutput::SaveMeta() const {
  json j = {{"job_id", meta_.job_id},         {"name", meta_.name},
            {"header", meta_.header_record},  {"label_column", meta_.label_column},
            {"total_chunks", meta_.total_chunks}, {"total_rows", meta_.total_rows},
            {"sealed", meta_.sealed},         {"opened_wall_ms", meta_.opened_wall_ms},
            {"price", meta_.price},           {"retry_of", meta_.retry_of},
            {"output_format", meta_.output_format}};
  return WriteFileAtomic(dir_ + "/meta.json",
                         j.dump(-1, ' ', false, json::error_handler_t::replace));
}

Status JobOutput::SaveProgress() const {
  json j = {{"next_chunk", progress_.next_chunk},     {"output_bytes", progress_.output_bytes},
            {"errors_bytes", progress_.errors_bytes}, {"log_bytes", progress_.log_bytes},
            {"rows", progress_.rows},
            {"error_rows", progress_.error_rows},     {"retries", progress_.retries},
            {"prompt_tokens", progress_.prompt_tokens},
            {"completion_tokens", progress_.completion_tokens},
            {"answers_invalid", progress_.answers_invalid},
            {"rows_invalid", progress_.rows_invalid},
            {"cached_rows", progress_.cached_rows},
            {"finished_wall_ms", progress_.finished_wall_ms}};
  return WriteFileAtomic(dir_ + "/merge.json", j.dump());
}

Status JobOutput::OpenPartials() {
  std::string out = dir_ + "/output.partial";
  output_fd_ = ::open(out.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (output_fd_ < 0) return ErrnoError("cannot open", out);
  std::string err = dir_ + "/errors.partial";
  errors_fd_ = ::open(err.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (errors_fd_ < 0) return ErrnoError("cannot open", err);
  std::string log = dir_ + "/committed.log";
  log_fd_ = ::open(log.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (log_fd_ < 0) return ErrnoError("cannot open", log);
  return Status::Ok();
}

Status JobOutput::Initialize() {
  SIEVE_RETURN_IF_ERROR(MakeDirs(dir_ + "/results"));
  SIEVE_RETURN_IF_ERROR(OpenPartials());
  std::string header;
  std::string_view label = meta_.label_column;
  if (meta_.output_format != "jsonl") {  // JSON Lines has no header line
    AppendColumns(meta_.header_record, std::span<const std::string_view>(&label, 1), &header);
  }
  std::string first_column = FirstField(meta_.header_record);
  std::string errors_header = "row,";
  AppendCsvField(first_column, &errors_header);
  errors_header += ",reason\n";
  SIEVE_RETURN_IF_ERROR(WriteAtAndSync(output_fd_, 0, header, dir_ + "/output.partial"));
  SIEVE_RETURN_IF_ERROR(WriteAtAndSync(errors_fd_, 0, errors_header, dir_ + "/errors.partial"));
  progress_.output_bytes = header.size();
  progress_.errors_bytes = errors_header.size();
  SIEVE_RETURN_IF_ERROR(SaveProgress());
  // meta.json last: its presence means the directory is fully initialised.
  return SaveMeta();
}

Status JobOutput::LoadState() {
  Result<json> meta = ReadJson(dir_ + "/meta.json");
  if (!meta.ok()) return meta.status();
  Result<json> merge = ReadJson(dir_ + "/merge.json");
  if (!merge.ok()) return merge.status();
  try {
    const json& m = *meta;
    meta_.job_id = m.at("job_id").get<std::string>();
    meta_.name = m.at("name").get<std::string>();
    meta_.header_record = m.at("header").get<std::string>();
    meta_.label_column = m.at("label_column").get<std::string>();
    meta_.total_chunks = m.at("total_chunks").get<uint64_t>();
    meta_.total_rows = m.at("total_rows").get<uint64_t>();
    meta_.sealed = m.at("sealed").get<bool>();
    meta_.opened_wall_ms = m.at("opened_wall_ms").get<int64_t>();
    meta_.price = m.value("price", std::string());
    meta_.retry_of = m.value("retry_of", std::string());
    meta_.output_format = m.value("output_format", std::string("csv"));
    const json& p = *merge;
    progress_.next_chunk = p.at("next_chunk").get<uint64_t>();
    progress_.output_bytes = p.at("output_bytes").get<uint64_t>();
    progress_.errors_bytes = p.at("errors_bytes").get<uint64_t>();
    progress_.log_bytes = p.at("log_bytes").get<uint64_t>();
    progress_.rows = p.at("rows").get<uint64_t>();
    progress_.error_rows = p.at("error_rows").get<uint64_t>();
    progress_.retries = p.at("retries").get<uint64_t>();
    progress_.finished_wall_ms = p.at("finished_wall_ms").get<int64_t>();
    progress_.prompt_tokens = p.value("prompt_tokens", uint64_t{0});
    progress_.completion_tokens = p.value("completion_tokens", uint64_t{0});
    progress_.answers_invalid = p.value("answers_invalid", uint64_t{0});
    progress_.rows_invalid = p.value("rows_invalid", uint64_t{0});
    progress_.cached_rows = p.value("cached_rows", uint64_t{0});
  } catch (const json::exception& e) {
    return Status::Corrupt("job state in " + dir_ + ": " + e.what());
  }
  SIEVE_RETURN_IF_ERROR(LoadCommittedLog());
  pending_ = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_ + "/results", ec)) {
    if (entry.path().extension() != ".res") continue;
    uint64_t index = std::strtoull(entry.path().stem().c_str(), nullptr, 10);
    if (index < progress_.next_chunk) {
      SIEVE_RETURN_IF_ERROR(RemoveFile(entry.path().string()));  // merged before a crash
    } else {
      ++pending_;
    }
  }
  if (finished()) return Status::Ok();
  return RecoverFinish();
}

// Finish renames errors.partial, then output.partial, then records the end in merge.json. A
// crash between those steps is repaired here, before any file is reopened for writing.
Status JobOutput::RecoverFinish() {
  std::string output_partial = dir_ + "/output.partial";
  std::string errors_partial = dir_ + "/errors.partial";
  if (FileExists(output_path()) && !FileExists(output_partial)) {
    progress_.finished_wall_ms = SystemClock::Get().WallMs();
    return SaveProgress();
  }
  if (FileExists(errors_path()) && !FileExists(errors_partial) &&
      ::rename(errors_path().c_str(), errors_partial.c_str()) != 0) {
    return ErrnoError("cannot rename back", errors_path());
  }
  return OpenPartials();
}

Status JobOutput::Seal(uint64_t total_chunks, uint64_t total_rows) {
  if (meta_.sealed) return Status::Ok();
  meta_.sealed = true;
  meta_.total_chunks = total_chunks;
  meta_.total_rows = total_rows;
  return SaveMeta();
}

Status JobOutput::LoadCommittedLog() {
  std::string path = dir_ + "/committed.log";
  Result<std::string> log = ReadFileRange(path, 0, progress_.log_bytes);
  if (!log.ok()) return log.status();
  merged_counts_.clear();
  size_t pos = 0;
  while (pos < log->size()) {
    size_t end = log->find('\n', pos);
    if (end == std::string::npos) break;
    unsigned long long index = 0, rows = 0, errors = 0, prompt = 0, completion = 0;
    const std::string line = log->substr(pos, end - pos);  // sscanf must not read past it
    const int read = std::sscanf(line.c_str(), "%llu %llu %llu %llu %llu", &index, &rows,
                                 &errors, &prompt, &completion);
    if ((read != 3 && read != 5) || index != merged_counts_.size()) {
      return Status::Corrupt(path + ": entry " + std::to_string(merged_counts_.size()) +
                             " is malformed");
    }
    merged_counts_.push_back({rows, errors, prompt, completion});
    pos = end + 1;
  }
  if (merged_counts_.size() != progress_.next_chunk) {
    return Status::Corrupt(path + " lists " + std::to_string(merged_counts_.size()) +
                           " chunks but " + std::to_string(progress_.next_chunk) +
                           " are merged");
  }
  return Status::Ok();
}

Result<JobOutput::ChunkCounts> JobOutput::CountsOf(uint64_t chunk_index) const {
  if (chunk_index < merged_counts_.size()) return merged_counts_[chunk_index];
  Result<std::string> bytes = ReadFile(ResultPath(chunk_index));
  if (!bytes.ok()) return bytes.status();
  Result<StoredResult> result = DecodeStoredResult(*bytes);
  if (!result.ok()) return result.status();
  return ChunkCounts{result->rows, result->error_rows, result->prompt_tokens,
                     result->completion_tokens, result->cached_rows};
}

std::vector<uint64_t> JobOutput::CommittedChunks() const {
  std::vector<uint64_t> chunks;
  for (uint64_t i = 0; i < progress_.next_chunk; ++i) chunks.push_back(i);
  std::error_code ec;
  std::vector<uint64_t> stored;
  for (const auto& entry : std::filesystem::directory_iterator(dir_ + "/results", ec)) {
    if (entry.path().extension() != ".res") continue;
    uint64_t index = std::strtoull(entry.path().stem().c_str(), nullptr, 10);
    if (index >= progress_.next_chunk) stored.push_back(index);
  }
  std::sort(stored.begin(), stored.end());
  chunks.insert(chunks.end(), stored.begin(), stored.end());
  return chunks;
}

bool JobOutput::IsCommitted(uint64_t chunk_index) const {
  return chunk_index < progress_.next_chunk || finished() || FileExists(ResultPath(chunk_index));
}

Status JobOutput::Store(uint64_t chunk_index, const StoredResult& result) {
  SIEVE_RETURN_IF_ERROR(WriteFileAtomic(ResultPath(chunk_index), EncodeStoredResult(result)));
  ++pending_;
  return Status::Ok();
}

Status JobOutput::MergeOne(const StoredResult& result) {
  std::string error_lines;
  std::vector<StoredRowError> errors = result.errors;
  std::sort(errors.begin(), errors.end(),
            [](const StoredRowError& a, const StoredRowError& b) { return a.row < b.row; });
  if (!errors.empty()) {
    const RecordFormat format =
        meta_.output_format == "jsonl" ? RecordFormat::kJsonl : RecordFormat::kCsv;
    const std::string first_column = FirstField(meta_.header_record);
    OutputRecords records(result.labelled, format);
    std::string_view record;
    uint64_t row = result.first_row;
    size_t next_error = 0;
    while (next_error < errors.size()) {
      Result<bool> more = records.Next(&record);
      if (!more.ok() || !*more) break;
      while (next_error < errors.size() && errors[next_error].row <= row) {
        error_lines += std::to_string(row + 1) + ",";
        AppendCsvField(FirstFieldOf(record, format, first_column), &error_lines);
        error_lines += ",";
        AppendCsvField(errors[next_error].reason, &error_lines);
        error_lines += "\n";
        ++next_error;
      }
      ++row;
    }
  }
  SIEVE_RETURN_IF_ERROR(WriteAtAndSync(output_fd_, progress_.output_bytes, result.labelled,
                                       dir_ + "/output.partial"));
  SIEVE_RETURN_IF_ERROR(WriteAtAndSync(errors_fd_, progress_.errors_bytes, error_lines,
                                       dir_ + "/errors.partial"));
  std::string log_line = std::to_string(progress_.next_chunk) + " " +
                         std::to_string(result.rows) + " " + std::to_string(result.error_rows);
  if (result.prompt_tokens + result.completion_tokens > 0) {  // else the older 3-field line
    log_line += " " + std::to_string(result.prompt_tokens) + " " +
                std::to_string(result.completion_tokens);
  }
  log_line += "\n";
  SIEVE_RETURN_IF_ERROR(
      WriteAtAndSync(log_fd_, progress_.log_bytes, log_line, dir_ + "/committed.log"));
  MergeProgress next = progress_;
  next.next_chunk += 1;
  next.output_bytes += result.labelled.size();
  next.errors_bytes += error_lines.size();
  next.log_bytes += log_line.size();
  next.rows += result.rows;
  next.error_rows += result.error_rows;
  next.retries += result.retries;
  next.prompt_tokens += result.prompt_tokens;
  next.completion_tokens += result.completion_tokens;
  next.answers_invalid += result.answers_invalid;
  next.rows_invalid += result.rows_invalid;
  next.cached_rows += result.cached_rows;
  std::swap(progress_, next);
  Status saved = SaveProgress();
  if (!saved.ok()) {
    std::swap(progress_, next);  // not durable: stay where the disk says
    return saved;
  }
  merged_counts_.push_back(
      {result.rows, result.error_rows, result.prompt_tokens, result.completion_tokens,
       result.cached_rows});
  return Status::Ok();
}

Result<uint64_t> JobOutput::MergeReady() {
  if (finished()) return uint64_t{0};
  uint64_t merged = 0;
  while (!meta_.sealed || progress_.next_chunk < meta_.total_chunks) {
    std::string path = ResultPath(progress_.next_chunk);
    Result<std::string> bytes = ReadFile(path);
    if (bytes.status().code() == Status::Code::kNotFound) break;
    if (!bytes.ok()) return bytes.status();
    Result<StoredResult> result = DecodeStoredResult(*bytes);
    if (!result.ok()) return Status::Corrupt(path + ": " + result.status().message());
    SIEVE_RETURN_IF_ERROR(MergeOne(*result));
    SIEVE_RETURN_IF_ERROR(RemoveFile(path));
    --pending_;
    ++merged;
  }
  if (meta_.sealed && progress_.next_chunk >= meta_.total_chunks) SIEVE_RETURN_IF_ERROR(Finish());
  return merged;
}

Status JobOutput::NoteRebuilt(uint64_t error_rows) {
  progress_.error_rows = error_rows;
  return SaveProgress();
}

Status JobOutput::Finish() {
  if (::ftruncate(output_fd_, static_cast<off_t>(progress_.output_bytes)) != 0) {
    return ErrnoError("cannot truncate", dir_ + "/output.partial");
  }
  if (::ftruncate(errors_fd_, static_cast<off_t>(progress_.errors_bytes)) != 0) {
    return ErrnoError("cannot truncate", dir_ + "/errors.partial");
  }
  if (::fsync(output_fd_) != 0 || ::fsync(errors_fd_) != 0) {
    return ErrnoError("cannot fsync", dir_ + "/output.partial");
  }
  int64_t now = SystemClock::Get().WallMs();
  double seconds = std::max<double>(0.001, (now - meta_.opened_wall_ms) / 1000.0);
  json summary = {{"job_id", meta_.job_id},
                  {"name", meta_.name},
                  {"rows", progress_.rows},
                  {"labelled", progress_.rows - progress_.error_rows},
                  {"errors", progress_.error_rows},
                  {"retries", progress_.retries},
                  {"chunks", progress_.next_chunk},
                  {"wall_time_s", seconds},
                  {"rows_per_s", progress_.rows / seconds},
                  {"tokens",
                   {{"prompt", progress_.prompt_tokens},
                    {"completion", progress_.completion_tokens}}},
                  {"invalid_answers", progress_.answers_invalid},
                  {"invalid_rows", progress_.rows_invalid},
                  {"cached_rows", progress_.cached_rows}};
  if (!meta_.price.empty()) {
    Result<TokenPrice> price = ParseTokenPrice(meta_.price);
    if (price.ok()) {
      summary["price"] = {{"prompt_per_million", price->prompt_per_million},
                          {"completion_per_million", price->completion_per_million}};
      summary["cost"] = price->Cost(progress_.prompt_tokens, progress_.completion_tokens);
    }
  }
  SIEVE_RETURN_IF_ERROR(WriteFileAtomic(summary_path(), summary.dump(2) + "\n"));
  if (progress_.error_rows > 0) {
    if (::rename((dir_ + "/errors.partial").c_str(), errors_path().c_str()) != 0) {
      return ErrnoError("cannot rename into place", errors_path());
    }
  }
  if (::rename((dir_ + "/output.partial").c_str(), output_path().c_str()) != 0) {
    return ErrnoError("cannot rename into place", output_path());
  }
  SIEVE_RETURN_IF_ERROR(SyncDir(dir_));
  progress_.finished_wall_ms = now;
  return SaveProgress();
}

}  // namespace sieve
