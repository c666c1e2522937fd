// DESIGN: one thread, three steps per iteration until the input is exhausted and every chunk
// written: (1) read and parse chunks into the engine until chunks_in_flight are pending,
// (2) Poll the engine for up to 100 ms, (3) write finished chunks in input order (a chunk that
// finishes early waits in done_). Memory: at most chunks_in_flight chunks plus the ones
// waiting in done_ for an earlier chunk, each held as bytes and parsed fields.
#include "worker/label_file.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>

#include "common/csv_chunker.h"
#include "common/csv_record.h"
#include "common/csv_writer.h"
#include "common/file_util.h"
#include "worker/http_engine.h"

namespace sieve {
namespace {

Result<std::shared_ptr<RowBatch>> ParseChunk(const CsvChunk& chunk, const CsvHeader& header,
                                             const std::string& job_id) {
  auto batch = std::make_shared<RowBatch>();
  batch->job_id = job_id;
  batch->chunk_index = chunk.index;
  batch->header = header.columns;
  batch->rows.reserve(chunk.row_count);
  RecordIterator records(chunk.bytes);
  RecordFields fields;
  std::string_view record;
  for (;;) {
    Result<bool> more = records.Next(&record);
    if (!more.ok()) return Status::Corrupt(chunk.source + ": " + more.status().message());
    if (!*more) break;
    SIEVE_RETURN_IF_ERROR(ParseRecord(record, &fields));
    batch->rows.emplace_back(fields.begin(), fields.end());
  }
  return batch;
}

class LabelFileRun {
 public:
  LabelFileRun(const LabelFileOptions& options, std::unique_ptr<CsvChunker> chunker,
               std::unique_ptr<HttpEngine> engine)
      : options_(options), chunker_(std::move(chunker)), engine_(std::move(engine)) {}

  Result<LabelFileSummary> Run();

 private:
  struct Pending {
    CsvChunk chunk;
    ChunkLabels labels;
  };
  Status SubmitMore();
  Status WriteReady();
  void AppendErrors(const Pending& done);

  const LabelFileOptions& options_;
  std::unique_ptr<CsvChunker> chunker_;
  std::unique_ptr<HttpEngine> engine_;
  std::ofstream out_;
  std::ofstream errors_;
  bool input_done_ = false;
  std::map<HttpEngine::ChunkId, CsvChunk> in_engine_;
  std::map<uint64_t, Pending> done_;  // by chunk index
  uint64_t next_to_write_ = 0;
  LabelFileSummary summary_;
  std::string buffer_;
};

Result<LabelFileSummary> LabelFileRun::Run() {
  const auto start = std::chrono::steady_clock::now();
  out_.open(options_.output + ".tmp", std::ios::binary | std::ios::trunc);
  if (!options_.errors_output.empty()) {
    errors_.open(options_.errors_output, std::ios::binary | std::ios::trunc);
    errors_ << "file,line,reason\n";
  }
  if (!out_ || (!options_.errors_output.empty() && !errors_)) {
    return Status::IoError("cannot create " + options_.output + ".tmp or the errors file");
  }
  buffer_.clear();
  AppendHeaderColumn(chunker_->header(), options_.label_column, &buffer_);
  out_ << buffer_;
  while (!input_done_ || !in_engine_.empty()) {
    SIEVE_RETURN_IF_ERROR(SubmitMore());
    for (HttpEngine::FinishedChunk& finished : engine_->Poll(std::chrono::milliseconds(100))) {
      auto it = in_engine_.find(finished.id);
      summary_.counters.Add(finished.labels.counters);
      const uint64_t index = it->second.index;
      done_.emplace(index, Pending{std::move(it->second), std::move(finished.labels)});
      in_engine_.erase(it);
    }
    SIEVE_RETURN_IF_ERROR(WriteReady());
  }
  out_.close();
  if (!out_) return Status::IoError("cannot write " + options_.output + ".tmp");
  if (std::rename((options_.output + ".tmp").c_str(), options_.output.c_str()) != 0) {
    return Status::IoError("cannot rename " + options_.output + ".tmp into place");
  }
  summary_.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary_;
}

Status LabelFileRun::SubmitMore() {
  while (!input_done_ && static_cast<int>(in_engine_.size()) < options_.chunks_in_flight) {
    Result<std::optional<CsvChunk>> next = chunker_->Next();
    if (!next.ok()) return next.status();
    if (!next->has_value()) {
      input_done_ = true;
      break;
    }
    CsvChunk chunk = std::move(**next);
    Result<std::shared_ptr<RowBatch>> batch =
        ParseChunk(chunk, chunker_->header(), options_.job_id);
    if (!batch.ok()) return batch.status();
    Result<HttpEngine::ChunkId> id = engine_->Submit(std::move(batch).value());
    if (!id.ok()) return id.status();
    in_engine_.emplace(*id, std::move(chunk));
  }
  return Status::Ok();
}

Status LabelFileRun::WriteReady() {
  for (auto it = done_.find(next_to_write_); it != done_.end();
       it = done_.find(++next_to_write_)) {
    const Pending& done = it->second;
    buffer_.clear();
    RecordIterator records(done.chunk.bytes);
    std::string_view record;
    for (const std::string& label : done.labels.labels) {
      Result<bool> more = records.Next(&record);
      if (!more.ok() || !*more) return Status::Internal("chunk changed between parse and write");
      const std::string_view value = label;
      AppendColumns(record, std::span<const std::string_view>(&value, 1), &buffer_);
    }
    out_ << buffer_;
    if (!out_) return Status::IoError("cannot write " + options_.output + ".tmp");
    AppendErrors(done);
    summary_.rows += done.labels.labels.size();
    done_.erase(it);
  }
  return Status::Ok();
}

void LabelFileRun::AppendErrors(const Pending& done) {
  if (options_.errors_output.empty() || done.labels.errors.empty()) return;
  // Line numbers: walk the records again to find each failed row's physical line.
  RecordIterator records(done.chunk.bytes);
  std::string_view record;
  uint32_t row = 0;
  for (const RowError& error : done.labels.errors) {
    while (row <= error.row && records.Next(&record).ok()) ++row;
    std::string line;
    AppendCsvField(done.chunk.source, &line);
    line += "," + std::to_string(done.chunk.first_line + records.record_line_offset()) + ",";
    AppendCsvField(error.reason, &line);
    errors_ << line << "\n";
  }
}

}  // namespace

Result<LabelFileSummary> LabelFile(const LabelFileOptions& options,
                                   const EngineOptions& engine_options) {
  if (options.chunk_rows == 0 || options.chunks_in_flight < 1 || options.output.empty()) {
    return Status::InvalidArgument("need --chunk-rows >= 1, --chunks-in-flight >= 1 and -o");
  }
  Result<std::unique_ptr<CsvChunker>> chunker =
      CsvChunker::Open(options.inputs, CsvLimits{}, options.chunk_rows);
  if (!chunker.ok()) return chunker.status();
  Result<std::unique_ptr<HttpEngine>> engine = HttpEngine::Create(engine_options);
  if (!engine.ok()) return engine.status();
  LabelFileRun run(options, std::move(chunker).value(), std::move(engine).value());
  Result<LabelFileSummary> summary = run.Run();
  if (!summary.ok()) (void)RemoveFile(options.output + ".tmp");
  return summary;
}

}  // namespace sieve
