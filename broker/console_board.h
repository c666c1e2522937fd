// ConsoleBoard: what the web console (console/*, docs/observability.md "Web console") shows
// beyond the status API. The broker loop publishes a ConsoleSnapshot (every publish_ms) and
// notes the first failed rows of each job (from COMMITTED); HTTP handlers on the metrics
// server's threads render it as JSON:
//   GET /api/v1/console                  jobs (with rows/s and ETA), workers, limits, actions
//   GET /api/v1/console/jobs/<job id>    one job: status, spec, history, failed rows, chunks
//
// DESIGN
// The board keeps, per job, a ring of (time, done rows, error rows) samples taken at most once
// per kSampleMs (so a freshly opened page can draw a throughput chart of the last
// kHistorySamples samples) and the first kFailedRowsKept failed rows the collector reported.
// The broker publishes once a second (broker_console.cc).
// Per worker it keeps one older sample of rows_done, for rows/s. Publish costs the loop
// O(jobs + workers) map work under the board's mutex, plus whatever the snapshot cost to build;
// the handlers copy nothing the loop owns. State of a job the snapshot no longer lists is
// dropped at the next Publish (bounded by the jobs the broker keeps in memory).
//
// Thread-safety: thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/metrics_server.h"
#include "proto/message_parts.h"

namespace sieve {

// One chunk's state in a job's strip: a letter per chunk, by index.
inline constexpr char kChunkQueued = 'q';
inline constexpr char kChunkLeased = 'l';
inline constexpr char kChunkCommitted = 'c';
inline constexpr char kChunkFailed = 'f';  // committed as all-error rows by the broker

struct ConsoleJob {
  proto::JobStatus status;
  nlohmann::json spec;  // ConsoleSpec(): no header value, URL credentials redacted; null:
                        // keep the one published before
  std::string chunks;   // one kChunk* letter per chunk (at most kMaxStripChunks)
  bool chunks_fresh = true;  // false: keep the strip published before (not rebuilt this time)
};

struct ConsoleWorker {
  std::string name;
  std::string address;
  std::string version;
  uint32_t concurrency = 0;  // HTTP requests it runs in flight at most
  uint32_t credit = 0;
  uint32_t leases = 0;       // chunks it holds
  uint64_t last_heartbeat_age_ms = 0;
  uint64_t rows_done = 0;
  uint32_t in_flight = 0;    // HTTP requests in flight at its last heartbeat
};

// A rate-limit key, as `sieve limits` shows it (broker/quota_service.h): only keys in use.
struct ConsoleLimit {
  std::string key;
  std::string limit;  // e.g. "600/min" or "600/min, 90000/min tokens"
  double rate = 0;    // requests per second granted over the last minute
  uint64_t pauses = 0;
};

struct ConsoleSnapshot {
  int64_t now_unix_ms = 0;
  std::vector<ConsoleJob> jobs;
  std::vector<ConsoleWorker> workers;
  std::vector<ConsoleLimit> limits;
};

// The spec as the console shows it: header names only (never a value), URL credentials
// redacted, and the fields a person checks (endpoint, template, fields, labels, limits).
nlohmann::json ConsoleSpec(const proto::JobSpec& spec);

class ConsoleBoard {
 public:
  static constexpr int64_t kSampleMs = 1000;
  static constexpr size_t kHistorySamples = 300;  // 5 minutes at one sample a second
  static constexpr size_t kFailedRowsKept = 20;
  static constexpr size_t kMaxStripChunks = 10000;
  static constexpr int64_t kRateWindowMs = 5000;  // rows/s "now": over about the last 5 s

  // `actions`: the names of the console actions the broker carries out ("" list: read-only).
  explicit ConsoleBoard(std::vector<std::string> actions = {});

  void Publish(ConsoleSnapshot snapshot);
  // Keeps the first kFailedRowsKept failed rows of a job (in the order reported).
  void NoteFailedRows(const std::string& job_id, const std::vector<proto::RowError>& rows);
  void SetActions(std::vector<std::string> actions);

  HttpAnswer Overview() const;
  HttpAnswer Job(const std::string& job_id) const;
  // The routes above, bound to this board (which must outlive the server serving them).
  std::vector<HttpRoute> Routes() const;

 private:
  struct Sample {
    int64_t t_ms;
    uint64_t done;
    uint64_t errors;
  };
  struct JobState {
    ConsoleJob job;
    std::deque<Sample> history;  // oldest first
    uint64_t generation = 0;     // of the last Publish that listed the job
  };
  struct WorkerState {
    ConsoleWorker worker;
    std::deque<std::pair<int64_t, uint64_t>> samples;  // (time, rows_done), oldest first
  };
  nlohmann::json JobJson(const JobState& state) const;  // REQUIRES: mutex_ held

  mutable std::mutex mutex_;
  int64_t now_unix_ms_ = 0;                   // GUARDED_BY(mutex_)
  uint64_t generation_ = 0;                   // GUARDED_BY(mutex_): Publish calls so far
  std::vector<std::string> actions_;          // GUARDED_BY(mutex_)
  std::vector<std::string> job_order_;        // GUARDED_BY(mutex_): newest first
  std::map<std::string, JobState> jobs_;      // GUARDED_BY(mutex_)
  std::map<std::string, std::vector<proto::RowError>> failed_rows_;  // GUARDED_BY(mutex_)
  std::map<std::string, WorkerState> workers_;  // GUARDED_BY(mutex_): by address
  std::vector<ConsoleLimit> limits_;          // GUARDED_BY(mutex_)
};

}  // namespace sieve
