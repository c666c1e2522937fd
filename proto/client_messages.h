// The commands a client (the `sieve` CLI) exchanges with the broker and the collector, and
// ERROR, the refusal any peer may send. Same conventions as proto/messages.h.
// Specification: docs/protocol.md.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "proto/constants.h"
#include "proto/message_parts.h"

namespace sieve::proto {

struct Submit {
  static constexpr Command kCommand = Command::kSubmit;
  std::uint64_t request_id = 0;
  JobSpec spec;
  std::vector<std::string> inputs;         // input file names, for status and the summary
  std::optional<std::string> output_path;  // absent: the collector chooses
  std::string header_record;               // bulk: the CSV header record shared by all inputs

  bool operator==(const Submit&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("request_id", m.request_id, Rule::kRequired);
    v.Field("spec", m.spec, Rule::kRequired);
    v.Field("inputs", m.inputs, Rule::kOptional);
    v.Field("output_path", m.output_path, Rule::kOptional);
    v.Bulk(m.header_record);
  }
};

struct Submitted {
  static constexpr Command kCommand = Command::kSubmitted;
  std::uint64_t request_id = 0;
  std::string job_id;
  std::uint32_t credit = 0;  // CHUNKs the client may send before the next CHUNK_ACK

  bool operator==(const Submitted&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("request_id", m.request_id, Rule::kRequired);
    v.Field("job_id", m.job_id, Rule::kJobId);
    v.Field("credit", m.credit, Rule::kRequired);
  }
};

struct Chunk {
  static constexpr Command kCommand = Command::kChunk;
  std::string job_id;
  std::uint64_t chunk_index = 0;
  std::uint64_t first_row = 0;
  std::uint64_t row_count = 0;
  std::string chunk;  // bulk: the chunk's CSV records (no header record)

  bool operator==(const Chunk&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("job_id", m.job_id, Rule::kJobId);
    v.Field("chunk_index", m.chunk_index, Rule::kRequired);
    v.Field("first_row", m.first_row, Rule::kRequired);
    v.Field("row_count", m.row_count, Rule::kRequired);
    v.Bulk(m.chunk);
  }
};

struct ChunkAck {
  static constexpr Command kCommand = Command::kChunkAck;
  std::string job_id;
  std::uint64_t chunk_index = 0;
  std::uint32_t credit = 0;  // CHUNKs the client may have unacknowledged from now on

  bool operator==(const ChunkAck&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("job_id", m.job_id, Rule::kJobId);
    v.Field("chunk_index", m.chunk_index, Rule::kRequired);
    v.Field("credit", m.credit, Rule::kRequired);
  }
};

struct Seal {
  static constexpr Command kCommand = Command::kSeal;
  std::string job_id;
  std::uint64_t total_chunks = 0;
  std::uint64_t total_rows = 0;

  bool operator==(const Seal&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("job_id", m.job_id, Rule::kJobId);
    v.Field("total_chunks", m.total_chunks, Rule::kRequired);
    v.Field("total_rows", m.total_rows, Rule::kRequired);
  }
};

struct Sealed {
  static constexpr Command kCommand = Command::kSealed;
  std::string job_id;

  bool operator==(const Sealed&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("job_id", m.job_id, Rule::kJobId);
  }
};

struct StatusQuery {  // STATUS
  static constexpr Command kCommand = Command::kStatus;
  std::uint64_t request_id = 0;
  std::optional<std::string> job_id;  // absent: all jobs

  bool operator==(const StatusQuery&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("request_id", m.request_id, Rule::kRequired);
    v.Field("job_id", m.job_id, Rule::kJobId);
  }
};

struct StatusReply {
  static constexpr Command kCommand = Command::kStatusReply;
  std::uint64_t request_id = 0;
  std::vector<JobStatus> jobs;
  // The collector registered now (where CACHE_ADMIN goes); empty when none.
  std::string collector;
  std::string collector_public_key;

  bool operator==(const StatusReply&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("request_id", m.request_id, Rule::kRequired);
    v.Field("jobs", m.jobs, Rule::kRequired);
    v.Field("collector", m.collector, Rule::kOptional);
    v.Field("collector_public_key", m.collector_public_key, Rule::kOptional);
  }
};

struct WorkersQuery {  // WORKERS
  static constexpr Command kCommand = Command::kWorkers;
  std::uint64_t request_id = 0;

  bool operator==(const WorkersQuery&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("request_id", m.request_id, Rule::kRequired);
  }
};

struct WorkersReply {
  static constexpr Command kCommand = Command::kWorkersReply;
  std::uint64_t request_id = 0;
  std::vector<WorkerInfo> workers;

  bool operator==(const WorkersReply&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("request_id", m.request_id, Rule::kRequired);
    v.Field("workers", m.workers, Rule::kRequired);
  }
};

struct Cancel {
  static constexpr Command kCommand = Command::kCancel;
  std::uint64_t request_id = 0;
  std::string job_id;

  bool operator==(const Cancel&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("request_id", m.request_id, Rule::kRequired);
    v.Field("job_id", m.job_id, Rule::kJobId);
  }
};

struct CancelReply {
  static constexpr Command kCommand = Command::kCancelReply;
  std::uint64_t request_id = 0;
  std::string job_id;
  JobState state = JobState::kCancelled;  // the job's state after the request

  bool operator==(const CancelReply&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("request_id", m.request_id, Rule::kRequired);
    v.Field("job_id", m.job_id, Rule::kJobId);
    v.Field("state", m.state, Rule::kRequired);
  }
};

struct Fetch {
  static constexpr Command kCommand = Command::kFetch;
  std::uint64_t request_id = 0;
  std::string job_id;
  std::uint64_t offset = 0;     // byte offset into the finished output file
  std::uint64_t max_bytes = 0;  // the reply carries at most this many bytes
  std::string file{kFetchOutput};  // kFetchOutput, kFetchSummary or kFetchErrors

  bool operator==(const Fetch&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("request_id", m.request_id, Rule::kRequired);
    v.Field("job_id", m.job_id, Rule::kJobId);
    v.Field("offset", m.offset, Rule::kRequired);
    v.Field("max_bytes", m.max_bytes, Rule::kRequired);
    v.Field("file", m.file, Rule::kOptional);
  }
};

struct FetchReply {
  static constexpr Command kCommand = Command::kFetchReply;
  std::uint64_t request_id = 0;
  std::string job_id;
  std::uint64_t offset = 0;      // offset of the first byte in `data`
  bool eof = false;              // `data` ends at the end of the file
  std::uint64_t total_size = 0;  // size of the output file
  std::string data;              // bulk: the bytes

  bool operator==(const FetchReply&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("request_id", m.request_id, Rule::kRequired);
    v.Field("job_id", m.job_id, Rule::kJobId);
    v.Field("offset", m.offset, Rule::kRequired);
    v.Field("eof", m.eof, Rule::kRequired);
    v.Field("total_size", m.total_size, Rule::kRequired);
    v.Bulk(m.data);
  }
};

// RESUME: "carry on with this job". Re-supplies the job's credential headers when the broker
// needs them again (after a restart it holds none), and/or sets the job's budget (max_cost,
// max_tokens: absent = unchanged, "0" / 0 = no limit), which carries on a budget_exhausted
// job; otherwise the reply says there is nothing to resume. SECRET: `headers`, like
// JobSpec::headers.
struct Resume {
  static constexpr Command kCommand = Command::kResume;
  std::uint64_t request_id = 0;
  std::string job_id;
  std::vector<std::string> headers;  // SECRET: "Key: Value", the job's credential headers
  std::optional<std::string> max_cost;     // the new budget (JobSpec::max_cost)
  std::optional<std::uint64_t> max_tokens;  // the new budget (JobSpec::max_tokens)

  bool operator==(const Resume&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("request_id", m.request_id, Rule::kRequired);
    v.Field("job_id", m.job_id, Rule::kJobId);
    v.Field("headers", m.headers, Rule::kOptional);
    v.Field("max_cost", m.max_cost, Rule::kOptional);
    v.Field("max_tokens", m.max_tokens, Rule::kOptional);
  }
};

struct ResumeReply {
  static constexpr Command kCommand = Command::kResumeReply;
  std::uint64_t request_id = 0;
  std::string job_id;
  bool resumed = false;  // false: nothing to resume (`message` says why)
  JobState state = JobState::kOpen;  // the job's state after the request
  std::string message;

  bool operator==(const ResumeReply&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("request_id", m.request_id, Rule::kRequired);
    v.Field("job_id", m.job_id, Rule::kJobId);
    v.Field("resumed", m.resumed, Rule::kRequired);
    v.Field("state", m.state, Rule::kRequired);
    v.Field("message", m.message, Rule::kOptional);
  }
};

// LIMITS: the broker's limit keys (`sieve limits`).
struct LimitsQuery {  // LIMITS
  static constexpr Command kCommand = Command::kLimits;
  std::uint64_t request_id = 0;

  bool operator==(const LimitsQuery&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("request_id", m.request_id, Rule::kRequired);
  }
};

struct LimitsReply {
  static constexpr Command kCommand = Command::kLimitsReply;
  std::uint64_t request_id = 0;
  std::vector<LimitInfo> keys;

  bool operator==(const LimitsReply&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("request_id", m.request_id, Rule::kRequired);
    v.Field("keys", m.keys, Rule::kRequired);
  }
};

struct ErrorReply {  // ERROR
  static constexpr Command kCommand = Command::kError;
  std::optional<std::uint64_t> request_id;  // of the refused request, when known
  ErrorCode code = ErrorCode::kUnknown;
  std::string message;  // for people; never holds secrets or peer bytes verbatim

  bool operator==(const ErrorReply&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("request_id", m.request_id, Rule::kOptional);
    v.Field("code", m.code, Rule::kRequired);
    v.Field("message", m.message, Rule::kOptional);
  }
};

}  // namespace sieve::proto
