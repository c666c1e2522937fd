#include "client/submit.h"

#include <algorithm>
#include <deque>

#include "client/llm_spec.h"
#include "common/csv_chunker.h"
#include "common/record_format.h"

namespace sieve {
namespace {

constexpr std::chrono::milliseconds kReplyTimeout{10'000};
constexpr int kMaxSilentRounds = 3;  // resend unacknowledged chunks this often, then give up

Status CheckFields(const CsvHeader& header, const std::vector<std::string>& fields) {
  for (const std::string& field : fields) {
    if (std::find(header.columns.begin(), header.columns.end(), field) == header.columns.end()) {
      std::string have;
      for (const std::string& c : header.columns) have += (have.empty() ? "" : ", ") + c;
      return Status::InvalidArgument("--fields names column '" + field +
                                     "', which the input does not have (columns: " + have + ")");
    }
  }
  return Status::Ok();
}

// The inputs as one logical input, in the job's input format.
Result<std::unique_ptr<CsvChunker>> OpenInputs(const JobRequest& request) {
  Result<RecordFormat> format = ParseRecordFormat(request.spec.input_format, "--input-format");
  if (!format.ok()) return format.status();
  if (!ParseRecordFormat(request.spec.output_format, "--output-format").ok()) {
    return Status::InvalidArgument("--output-format must be csv or jsonl, not '" +
                                   request.spec.output_format + "'");
  }
  return CsvChunker::Open(request.inputs, request.limits, request.chunk_rows,
                          request.chunk_bytes, *format);
}

proto::Chunk ToMessage(const std::string& job_id, const CsvChunk& chunk) {
  return proto::Chunk{job_id, chunk.index, chunk.first_row, chunk.row_count, chunk.bytes};
}

// Uploads every chunk of `chunker` from index `first_sent` on (the ones before are counted
// only: the broker holds them), keeping at most `credit` unacknowledged.
Status Upload(PeerConnection& broker, const std::string& job_id, CsvChunker& chunker,
              uint32_t credit, const std::function<Status(uint64_t)>& on_chunk,
              SubmittedJob* totals, uint64_t first_sent = 0) {
  std::deque<CsvChunk> unacked;  // in index order
  bool input_done = false;
  int silent_rounds = 0;
  while (!input_done || !unacked.empty()) {
    while (!input_done && unacked.size() < std::max<uint32_t>(credit, 1)) {
      Result<std::optional<CsvChunk>> next = chunker.Next();
      if (!next.ok()) return next.status();
      if (!next->has_value()) {
        input_done = true;
        break;
      }
      totals->chunks += 1;
      totals->rows += (*next)->row_count;
      if ((*next)->index < first_sent) continue;
      SIEVE_RETURN_IF_ERROR(broker.Send(ToMessage(job_id, **next)));
      unacked.push_back(std::move(**next));
    }
    if (unacked.empty()) break;
    Result<proto::Message> reply = broker.Receive(kReplyTimeout);
    if (!reply.ok()) {
      if (reply.status().code() != Status::Code::kUnavailable || ++silent_rounds >= kMaxSilentRounds) {
        return reply.status();
      }
      for (const CsvChunk& chunk : unacked) {  // the broker takes repeats idempotently
        SIEVE_RETURN_IF_ERROR(broker.Send(ToMessage(job_id, chunk)));
      }
      continue;
    }
    silent_rounds = 0;
    if (auto* error = std::get_if<proto::ErrorReply>(&*reply)) {
      return StatusFromError(*error, broker.endpoint());
    }
    auto* ack = std::get_if<proto::ChunkAck>(&*reply);
    if (ack == nullptr || ack->job_id != job_id) continue;
    credit = ack->credit;
    uint64_t rows_acked = 0;
    while (!unacked.empty() && unacked.front().index <= ack->chunk_index) {
      rows_acked += unacked.front().row_count;
      unacked.pop_front();
    }
    if (rows_acked > 0 && on_chunk) SIEVE_RETURN_IF_ERROR(on_chunk(rows_acked));
  }
  return Status::Ok();
}

// Seals the uploaded job and waits for SEALED.
Status SealJob(PeerConnection& broker, const SubmittedJob& job) {
  SIEVE_RETURN_IF_ERROR(broker.Send(proto::Seal{job.job_id, job.chunks, job.rows}));
  while (true) {
    Result<proto::Message> sealed = broker.Receive(kReplyTimeout);
    if (!sealed.ok()) return sealed.status();
    if (auto* error = std::get_if<proto::ErrorReply>(&*sealed)) {
      return StatusFromError(*error, broker.endpoint());
    }
    if (std::holds_alternative<proto::Sealed>(*sealed)) return Status::Ok();
  }
}

}  // namespace

Status ResolveFormats(JobRequest* request, const std::string& input_format,
                      const std::string& output_format, const std::string& output_path) {
  RecordFormat input = RecordFormat::kCsv;
  if (!input_format.empty()) {
    Result<RecordFormat> given = ParseRecordFormat(input_format, "--input-format");
    if (!given.ok()) return given.status();
    input = *given;
  } else if (!request->inputs.empty()) {
    input = FormatFromPath(request->inputs.front());
  }
  RecordFormat output = input;
  if (!output_format.empty()) {
    Result<RecordFormat> given = ParseRecordFormat(output_format, "--output-format");
    if (!given.ok()) return given.status();
    output = *given;
  } else if (!output_path.empty()) {
    output = FormatFromPath(output_path);
  }
  request->spec.input_format = std::string(FormatName(input));
  request->spec.output_format = std::string(FormatName(output));
  return Status::Ok();
}

Status ValidateInputs(const JobRequest& request) {
  if (request.inputs.empty()) return Status::InvalidArgument("no input files given");
  if (request.chunk_rows == 0) return Status::InvalidArgument("--chunk-rows must be at least 1");
  if (request.chunk_bytes == 0 || request.chunk_bytes > kMaxChunkBytes) {
    return Status::InvalidArgument("--chunk-bytes must be between 1 and " +
                                   std::to_string(kMaxChunkBytes >> 20) + " MiB");
  }
  Result<std::unique_ptr<CsvChunker>> chunker =
      OpenInputs(request);
  if (!chunker.ok()) return chunker.status();
  SIEVE_RETURN_IF_ERROR(CheckFields((*chunker)->header(), request.spec.fields));
  SIEVE_RETURN_IF_ERROR(CheckLlmSpec((*chunker)->header().columns, request.spec));
  // One full pass, so that a malformed record anywhere is reported (file:line: reason) before
  // a job exists. Reading is bounded by one chunk; the scan runs at about 1 GB/s.
  while (true) {
    Result<std::optional<CsvChunk>> next = (*chunker)->Next();
    if (!next.ok()) return next.status();
    if (!next->has_value()) return Status::Ok();
  }
}

Result<SubmittedJob> SubmitJob(PeerConnection& broker, const JobRequest& request,
                               const std::function<Status(uint64_t)>& on_chunk) {
  if (request.chunk_rows == 0) return Status::InvalidArgument("--chunk-rows must be at least 1");
  Result<std::unique_ptr<CsvChunker>> chunker =
      OpenInputs(request);
  if (!chunker.ok()) return chunker.status();
  const CsvHeader& header = (*chunker)->header();
  SIEVE_RETURN_IF_ERROR(CheckFields(header, request.spec.fields));
  SIEVE_RETURN_IF_ERROR(CheckLlmSpec(header.columns, request.spec));

  proto::Submit submit;
  uint64_t request_id = broker.NextRequestId();
  submit.request_id = request_id;
  submit.spec = request.spec;
  submit.inputs = request.inputs;
  submit.header_record = header.raw + header.terminator;
  Result<proto::Message> reply = broker.Call(std::move(submit), request_id, kReplyTimeout);
  if (!reply.ok()) return reply.status();
  auto* submitted = std::get_if<proto::Submitted>(&*reply);
  if (submitted == nullptr) return Status::Internal("unexpected answer to SUBMIT");

  SubmittedJob job;
  job.job_id = submitted->job_id;
  Status uploaded = Upload(broker, job.job_id, **chunker, submitted->credit, on_chunk, &job);
  if (!uploaded.ok()) {
    // Do not leave a half-uploaded job behind (best effort: the broker may be the problem).
    proto::Cancel cancel{broker.NextRequestId(), job.job_id};
    (void)broker.Send(std::move(cancel));
    return uploaded;
  }
  SIEVE_RETURN_IF_ERROR(SealJob(broker, job));
  return job;
}

Result<SubmittedJob> UploadRest(PeerConnection& broker, const JobRequest& request,
                                const std::string& job_id, uint64_t chunks_stored) {
  Result<std::unique_ptr<CsvChunker>> chunker =
      CsvChunker::Open(request.inputs, request.limits, request.chunk_rows, request.chunk_bytes);
  if (!chunker.ok()) return chunker.status();
  SubmittedJob job;
  job.job_id = job_id;
  // The broker's credit is unknown here (it came with SUBMITTED): 1 until the first ack.
  SIEVE_RETURN_IF_ERROR(Upload(broker, job_id, **chunker, 1, nullptr, &job, chunks_stored));
  SIEVE_RETURN_IF_ERROR(SealJob(broker, job));
  return job;
}

}  // namespace sieve
