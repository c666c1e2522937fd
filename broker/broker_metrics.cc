#include "broker/broker_metrics.h"

#include <algorithm>

namespace sieve {
namespace {

constexpr proto::JobState kJobStates[] = {proto::JobState::kOpen, proto::JobState::kSealed,
                                          proto::JobState::kDone, proto::JobState::kFailed,
                                          proto::JobState::kCancelled,
                                          proto::JobState::kBudgetExhausted,
                                          proto::JobState::kPaused};

prometheus::Family<prometheus::Gauge>& GaugeFamily(prometheus::Registry& registry,
                                                   const std::string& name,
                                                   const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(registry);
}

bool Active(proto::JobState state) {
  return state == proto::JobState::kOpen || state == proto::JobState::kSealed ||
         state == proto::JobState::kBudgetExhausted || state == proto::JobState::kPaused;
}

}  // namespace

BrokerMetrics::BrokerMetrics(prometheus::Registry& registry, size_t max_job_series)
    : max_job_series_(max_job_series) {
  auto& jobs_family = GaugeFamily(registry, "sieve_broker_jobs", "Jobs known to the broker, by state");
  for (proto::JobState state : kJobStates) {
    jobs_by_state_.push_back(&jobs_family.Add({{"state", std::string(proto::EnumName(state))}}));
  }
  auto& chunks_family =
      GaugeFamily(registry, "sieve_broker_chunks", "Chunks of active jobs, by state");
  chunks_queued_ = &chunks_family.Add({{"state", "queued"}});
  chunks_leased_ = &chunks_family.Add({{"state", "leased"}});
  chunks_committed_ = &chunks_family.Add({{"state", "committed"}});
  chunks_failed_ = &chunks_family.Add({{"state", "failed"}});
  job_queued_ = &GaugeFamily(registry, "sieve_broker_job_queued_chunks",
                             "Chunks of an active job waiting for a worker");
  job_total_rows_ = &GaugeFamily(registry, "sieve_broker_job_total_rows",
                                 "Rows of an active job (0 until the upload is sealed)");
  job_done_rows_ = &GaugeFamily(registry, "sieve_broker_job_done_rows",
                                "Rows of an active job committed at the collector");
  job_error_rows_ = &GaugeFamily(registry, "sieve_broker_job_error_rows",
                                 "Rows of an active job committed with the error label");
  workers_connected_ = &GaugeFamily(registry, "sieve_broker_workers_connected",
                                    "Workers registered and heartbeating")
                            .Add({});
  collector_connected_ = &GaugeFamily(registry, "sieve_broker_collector_connected",
                                      "1 when a collector is connected (dispatch needs one)")
                              .Add({});
  oldest_lease_age_ = &GaugeFamily(registry, "sieve_broker_oldest_lease_age_seconds",
                                   "Age of the oldest lease held by a worker (0: none)")
                           .Add({});
  dispatch_ = &prometheus::BuildHistogram()
                   .Name("sieve_broker_dispatch_duration_seconds")
                   .Help("Time to hand one chunk to a worker (spool read, encode, send)")
                   .Register(registry)
                   .Add({}, prometheus::Histogram::BucketBoundaries{
                                0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                0.05, 0.1, 0.25, 1});
  auto add = [&](const char* name, const char* help, uint64_t BrokerCounters::*field) {
    counters_.Add(registry, name, help, field);
  };
  add("sieve_broker_messages_refused_total", "Messages refused (malformed, unknown, misrouted)",
      &BrokerCounters::messages_refused);
  add("sieve_broker_leases_expired_total", "Leases that passed their deadline",
      &BrokerCounters::leases_expired);
  add("sieve_broker_redeliveries_total", "Chunks queued again after a lease ended without result",
      &BrokerCounters::redeliveries);
  add("sieve_broker_workers_lost_total", "Workers declared dead after missed heartbeats",
      &BrokerCounters::workers_lost);
  add("sieve_broker_chunks_dispatched_total", "Chunks handed to workers (every attempt)",
      &BrokerCounters::chunks_dispatched);
  add("sieve_broker_chunks_committed_total", "Chunks reported durable by the collector",
      &BrokerCounters::chunks_committed);
  add("sieve_broker_rows_committed_total", "Rows of committed chunks",
      &BrokerCounters::rows_committed);
  add("sieve_broker_error_rows_committed_total", "Rows committed with the error label",
      &BrokerCounters::error_rows_committed);
  add("sieve_broker_leases_lost_total",
      "Leases that ended because their worker was lost (redelivered, not a failed attempt)",
      &BrokerCounters::leases_lost);
  add("sieve_broker_chunks_poisoned_total",
      "Chunks isolated as poison pills (consecutive deaths of workers holding them alone)",
      &BrokerCounters::chunks_poisoned);
  add("sieve_broker_jobs_evicted_total", "Ended jobs dropped from memory after --retain",
      &BrokerCounters::jobs_evicted);
  add("sieve_broker_jobs_purged_total",
      "Ended jobs deleted with their spool after --purge-after", &BrokerCounters::jobs_purged);
  add("sieve_broker_canaries_passed_total", "Job canaries that got a label (the job fanned out)",
      &BrokerCounters::canaries_passed);
  add("sieve_broker_canaries_failed_total",
      "Jobs failed by their canary (every probe row refused the same way)",
      &BrokerCounters::canaries_failed);
  add("sieve_broker_jobs_paused_total",
      "Jobs paused while running because the endpoint refused their requests (HTTP 401/403)",
      &BrokerCounters::jobs_paused);
}

void BrokerMetrics::Publish(const BrokerSnapshot& snapshot) {
  counters_.Publish(snapshot.counters);
  workers_connected_->Set(static_cast<double>(snapshot.workers.size()));
  collector_connected_->Set(snapshot.collector_connected ? 1 : 0);
  oldest_lease_age_->Set(snapshot.oldest_lease_age_seconds);
  PublishJobs(snapshot.jobs);
}

void BrokerMetrics::JobProgress::Add(const proto::JobStatus& job) {
  queued += job.chunks_queued;
  total_rows += job.total_rows;
  done_rows += job.done_rows;
  error_rows += job.error_rows;
}

void BrokerMetrics::PublishJobs(const std::vector<proto::JobStatus>& jobs) {
  PublishTotals(jobs);
  std::set<std::string> active;
  for (const proto::JobStatus& job : jobs) {
    if (Active(job.state)) active.insert(job.job_id);
  }
  // Ended jobs give their slots back first, so a job waiting in "_other" moves to its own
  // series in this same call.
  const bool overflow = active.size() > max_job_series_;
  RemoveEnded(active, overflow);
  JobProgress other;
  for (const proto::JobStatus& job : jobs) {
    if (!Active(job.state)) continue;
    if (const JobGauges* gauges = GaugesOf(job.job_id)) {
      JobProgress progress;
      progress.Add(job);
      Set(*gauges, progress);
    } else {
      other.Add(job);
    }
  }
  if (overflow) {
    if (!other_gauges_) other_gauges_ = AddGauges(kOtherJobs);
    Set(*other_gauges_, other);
  }
}

void BrokerMetrics::PublishTotals(const std::vector<proto::JobStatus>& jobs) {
  std::vector<uint64_t> by_state(std::size(kJobStates), 0);
  uint64_t queued = 0, leased = 0, committed = 0, failed = 0;
  for (const proto::JobStatus& job : jobs) {
    size_t state = static_cast<size_t>(job.state);
    if (state < by_state.size()) ++by_state[state];
    if (!Active(job.state)) continue;
    queued += job.chunks_queued;
    leased += job.chunks_leased;
    committed += job.chunks_done - std::min(job.chunks_done, job.chunks_failed);
    failed += job.chunks_failed;
  }
  for (size_t i = 0; i < by_state.size(); ++i) {
    jobs_by_state_[i]->Set(static_cast<double>(by_state[i]));
  }
  chunks_queued_->Set(static_cast<double>(queued));
  chunks_leased_->Set(static_cast<double>(leased));
  chunks_committed_->Set(static_cast<double>(committed));
  chunks_failed_->Set(static_cast<double>(failed));
}

void BrokerMetrics::RemoveEnded(const std::set<std::string>& active, bool overflow) {
  for (auto it = job_gauges_.begin(); it != job_gauges_.end();) {
    if (active.contains(it->first)) {
      ++it;
      continue;
    }
    RemoveGauges(it->second);
    it = job_gauges_.erase(it);
  }
  if (!overflow && other_gauges_) {
    RemoveGauges(*other_gauges_);
    other_gauges_.reset();
  }
}

BrokerMetrics::JobGauges* BrokerMetrics::GaugesOf(const std::string& job_id) {
  auto it = job_gauges_.find(job_id);
  if (it != job_gauges_.end()) return &it->second;
  if (job_gauges_.size() >= max_job_series_) return nullptr;
  return &job_gauges_.emplace(job_id, AddGauges(job_id)).first->second;
}

BrokerMetrics::JobGauges BrokerMetrics::AddGauges(const std::string& job_id) {
  prometheus::Labels labels{{"job_id", job_id}};
  return JobGauges{&job_queued_->Add(labels), &job_total_rows_->Add(labels),
                   &job_done_rows_->Add(labels), &job_error_rows_->Add(labels)};
}

void BrokerMetrics::RemoveGauges(const JobGauges& gauges) {
  job_queued_->Remove(gauges.queued);
  job_total_rows_->Remove(gauges.total_rows);
  job_done_rows_->Remove(gauges.done_rows);
  job_error_rows_->Remove(gauges.error_rows);
}

void BrokerMetrics::Set(const JobGauges& gauges, const JobProgress& progress) {
  gauges.queued->Set(static_cast<double>(progress.queued));
  gauges.total_rows->Set(static_cast<double>(progress.total_rows));
  gauges.done_rows->Set(static_cast<double>(progress.done_rows));
  gauges.error_rows->Set(static_cast<double>(progress.error_rows));
}

}  // namespace sieve
