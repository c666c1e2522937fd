// BrokerMetrics: the broker's Prometheus metrics, updated by the broker loop.
//
// Families (prefix sieve_broker_; see docs/observability.md):
//   jobs{state}                       gauge, jobs known, by state (open, sealed, done, ...)
//   chunks{state}                     gauge, chunks of active jobs: queued, leased, committed,
//                                     failed (committed as all-error rows)
//   job_queued_chunks{job_id}         gauge, queue depth per active job
//   job_total_rows{job_id}, job_done_rows{job_id}, job_error_rows{job_id}
//                                     gauges, progress of each active job
//   Per-job cardinality is bounded twice: a job's series are removed when it ends (done,
//   failed, cancelled), and at most max_job_series jobs have their own series; active jobs
//   beyond that are summed under job_id="_other" until a slot frees up.
//   workers_connected, collector_connected, oldest_lease_age_seconds     gauges
//   leases_expired_total, redeliveries_total, workers_lost_total, messages_refused_total,
//   chunks_dispatched_total, chunks_committed_total, rows_committed_total,
//   error_rows_committed_total, leases_lost_total, chunks_poisoned_total,
//   jobs_evicted_total, jobs_purged_total, canaries_passed_total, canaries_failed_total,
//   jobs_paused_total
//                                     counters
//   dispatch_duration_seconds         histogram, handing one chunk out (spool read, encode,
//                                     send, lease record)
//
// Cost: Publish is O(jobs); counters follow BrokerCounters (CounterMirror), so the loop's hot
// paths only bump plain integers.
//
// Thread-safety: not thread-safe; the broker loop calls it. Prometheus collects concurrently
// (prometheus-cpp metrics are atomic or internally locked).
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/counter_mirror.h"
#include "proto/message_parts.h"

namespace sieve {

struct BrokerCounters {
  uint64_t messages_refused = 0;
  uint64_t leases_expired = 0;
  uint64_t redeliveries = 0;
  uint64_t workers_lost = 0;
  uint64_t chunks_dispatched = 0;
  uint64_t chunks_committed = 0;
  uint64_t rows_committed = 0;
  uint64_t error_rows_committed = 0;
  uint64_t leases_lost = 0;      // leases that ended with their worker (not a failed attempt)
  uint64_t chunks_poisoned = 0;  // chunks isolated as poison pills (docs/reliability.md)
  uint64_t jobs_evicted = 0;     // ended jobs dropped from memory after --retain
  uint64_t jobs_purged = 0;      // ended jobs deleted (rows and spool) after --purge-after
  uint64_t canaries_passed = 0;  // jobs whose canary got a label (broker/canary.h)
  uint64_t canaries_failed = 0;  // jobs failed by their canary (the endpoint refused them)
  uint64_t jobs_paused = 0;  // jobs paused while running: the endpoint refused them (401/403)
};

// What the broker loop knows at one instant; built by the loop, read by Publish.
struct BrokerSnapshot {
  std::vector<proto::JobStatus> jobs;  // every job known
  std::vector<proto::WorkerInfo> workers;
  BrokerCounters counters;
  bool collector_connected = false;
  double oldest_lease_age_seconds = 0;
};

class BrokerMetrics {
 public:
  static constexpr size_t kDefaultMaxJobSeries = 64;
  // The job_id label value of the series summing the jobs beyond max_job_series.
  static constexpr const char* kOtherJobs = "_other";

  explicit BrokerMetrics(prometheus::Registry& registry,
                         size_t max_job_series = kDefaultMaxJobSeries);

  void Publish(const BrokerSnapshot& snapshot);
  void ObserveDispatch(double seconds) { dispatch_->Observe(seconds); }

 private:
  struct JobGauges {
    prometheus::Gauge* queued = nullptr;
    prometheus::Gauge* total_rows = nullptr;
    prometheus::Gauge* done_rows = nullptr;
    prometheus::Gauge* error_rows = nullptr;
  };
  struct JobProgress {
    uint64_t queued = 0, total_rows = 0, done_rows = 0, error_rows = 0;
    void Add(const proto::JobStatus& job);
  };
  void PublishJobs(const std::vector<proto::JobStatus>& jobs);
  void PublishTotals(const std::vector<proto::JobStatus>& jobs);
  // Removes the series of jobs not in `active` (and "_other" when nothing overflows).
  void RemoveEnded(const std::set<std::string>& active, bool overflow);
  // The gauges of `job_id`, created if a slot is free; null when max_job_series are taken.
  JobGauges* GaugesOf(const std::string& job_id);
  JobGauges AddGauges(const std::string& job_id);
  void RemoveGauges(const JobGauges& gauges);
  static void Set(const JobGauges& gauges, const JobProgress& progress);

  const size_t max_job_series_;

  prometheus::Family<prometheus::Gauge>* job_queued_;
  prometheus::Family<prometheus::Gauge>* job_total_rows_;
  prometheus::Family<prometheus::Gauge>* job_done_rows_;
  prometheus::Family<prometheus::Gauge>* job_error_rows_;
  std::vector<prometheus::Gauge*> jobs_by_state_;  // by proto::JobState value
  prometheus::Gauge* chunks_queued_;
  prometheus::Gauge* chunks_leased_;
  prometheus::Gauge* chunks_committed_;
  prometheus::Gauge* chunks_failed_;
  prometheus::Gauge* workers_connected_;
  prometheus::Gauge* collector_connected_;
  prometheus::Gauge* oldest_lease_age_;
  prometheus::Histogram* dispatch_;
  CounterMirror<BrokerCounters> counters_;
  std::map<std::string, JobGauges> job_gauges_;  // active jobs only; size <= max_job_series_
  std::optional<JobGauges> other_gauges_;        // present while jobs overflow
};

}  // namespace sieve
