// BrokerMetrics: job and chunk gauges from a snapshot, counters mirrored from BrokerCounters,
// per-job series removed when a job ends and capped at max_job_series.
#include "broker/broker_metrics.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "tests/unit/common/metrics_test_util.h"

namespace sieve {
namespace {

using testing::MetricValue;
using testing::SeriesCount;

proto::JobStatus Job(int n, proto::JobState state, uint64_t queued = 0, uint64_t done_rows = 0) {
  proto::JobStatus job;
  char id[18];
  std::snprintf(id, sizeof(id), "j%016x", n);
  job.job_id = id;
  job.state = state;
  job.chunks_queued = queued;
  job.done_rows = done_rows;
  job.total_rows = 1000;
  return job;
}

class BrokerMetricsTest : public ::testing::Test {
 protected:
  prometheus::Registry registry_;
};

TEST_F(BrokerMetricsTest, PublishesJobsChunksAndWorkers) {
  BrokerMetrics metrics(registry_);
  BrokerSnapshot snapshot;
  snapshot.jobs = {Job(1, proto::JobState::kSealed, 3, 200), Job(2, proto::JobState::kDone)};
  snapshot.jobs[0].chunks_leased = 2;
  snapshot.jobs[0].chunks_done = 5;
  snapshot.jobs[0].chunks_failed = 1;
  snapshot.workers.resize(3);
  snapshot.collector_connected = true;
  snapshot.oldest_lease_age_seconds = 1.5;
  metrics.Publish(snapshot);

  EXPECT_EQ(MetricValue(registry_, "sieve_broker_jobs", {{"state", "sealed"}}), 1);
  EXPECT_EQ(MetricValue(registry_, "sieve_broker_jobs", {{"state", "done"}}), 1);
  EXPECT_EQ(MetricValue(registry_, "sieve_broker_jobs", {{"state", "open"}}), 0);
  EXPECT_EQ(MetricValue(registry_, "sieve_broker_chunks", {{"state", "queued"}}), 3);
  EXPECT_EQ(MetricValue(registry_, "sieve_broker_chunks", {{"state", "leased"}}), 2);
  EXPECT_EQ(MetricValue(registry_, "sieve_broker_chunks", {{"state", "committed"}}), 4);
  EXPECT_EQ(MetricValue(registry_, "sieve_broker_chunks", {{"state", "failed"}}), 1);
  EXPECT_EQ(MetricValue(registry_, "sieve_broker_workers_connected"), 3);
  EXPECT_EQ(MetricValue(registry_, "sieve_broker_collector_connected"), 1);
  EXPECT_EQ(MetricValue(registry_, "sieve_broker_oldest_lease_age_seconds"), 1.5);
  const std::string active = snapshot.jobs[0].job_id;
  EXPECT_EQ(MetricValue(registry_, "sieve_broker_job_queued_chunks", {{"job_id", active}}), 3);
  EXPECT_EQ(MetricValue(registry_, "sieve_broker_job_done_rows", {{"job_id", active}}), 200);
  EXPECT_EQ(MetricValue(registry_, "sieve_broker_job_total_rows", {{"job_id", active}}), 1000);
  EXPECT_EQ(SeriesCount(registry_, "sieve_broker_job_queued_chunks"), 1u)
      << "a finished job has no per-job series";
}

TEST_F(BrokerMetricsTest, CountersAdvanceByWhatTheLoopCounted) {
  BrokerMetrics metrics(registry_);
  BrokerSnapshot snapshot;
  snapshot.counters.leases_expired = 2;
  snapshot.counters.rows_committed = 500;
  metrics.Publish(snapshot);
  snapshot.counters.leases_expired = 5;
  snapshot.counters.rows_committed = 800;
  metrics.Publish(snapshot);
  metrics.Publish(snapshot);  // nothing new: no change
  EXPECT_EQ(MetricValue(registry_, "sieve_broker_leases_expired_total"), 5);
  EXPECT_EQ(MetricValue(registry_, "sieve_broker_rows_committed_total"), 800);
  EXPECT_EQ(MetricValue(registry_, "sieve_broker_redeliveries_total"), 0);
}

TEST_F(BrokerMetricsTest, DispatchLatencyIsAHistogram) {
  BrokerMetrics metrics(registry_);
  metrics.ObserveDispatch(0.0003);
  metrics.ObserveDispatch(0.02);
  EXPECT_EQ(MetricValue(registry_, "sieve_broker_dispatch_duration_seconds"), 2);
}

TEST_F(BrokerMetricsTest, EndedJobsLoseTheirSeries) {
  BrokerMetrics metrics(registry_);
  BrokerSnapshot snapshot;
  snapshot.jobs = {Job(1, proto::JobState::kOpen), Job(2, proto::JobState::kSealed)};
  metrics.Publish(snapshot);
  EXPECT_EQ(SeriesCount(registry_, "sieve_broker_job_done_rows"), 2u);
  snapshot.jobs[0].state = proto::JobState::kCancelled;
  snapshot.jobs[1].state = proto::JobState::kDone;
  metrics.Publish(snapshot);
  EXPECT_EQ(SeriesCount(registry_, "sieve_broker_job_done_rows"), 0u);
  EXPECT_EQ(SeriesCount(registry_, "sieve_broker_job_queued_chunks"), 0u);
}

TEST_F(BrokerMetricsTest, JobsBeyondTheCapAreSummedUnderOther) {
  BrokerMetrics metrics(registry_, /*max_job_series=*/2);
  BrokerSnapshot snapshot;
  for (int n = 1; n <= 5; ++n) snapshot.jobs.push_back(Job(n, proto::JobState::kSealed, n, 10));
  metrics.Publish(snapshot);
  EXPECT_EQ(SeriesCount(registry_, "sieve_broker_job_queued_chunks"), 3u);  // 2 jobs + _other
  EXPECT_EQ(MetricValue(registry_, "sieve_broker_job_queued_chunks",
                        {{"job_id", BrokerMetrics::kOtherJobs}}),
            3 + 4 + 5);
  EXPECT_EQ(MetricValue(registry_, "sieve_broker_job_done_rows",
                        {{"job_id", BrokerMetrics::kOtherJobs}}),
            30);

  // Two jobs end: job 3 and job 4 take the freed slots in the same publish; _other holds 5.
  snapshot.jobs[0].state = proto::JobState::kDone;
  snapshot.jobs[1].state = proto::JobState::kDone;
  metrics.Publish(snapshot);
  EXPECT_EQ(MetricValue(registry_, "sieve_broker_job_queued_chunks",
                        {{"job_id", snapshot.jobs[2].job_id}}),
            3);
  EXPECT_EQ(MetricValue(registry_, "sieve_broker_job_queued_chunks",
                        {{"job_id", BrokerMetrics::kOtherJobs}}),
            5);

  // One more ends: no overflow left, _other disappears.
  snapshot.jobs[2].state = proto::JobState::kFailed;
  metrics.Publish(snapshot);
  EXPECT_EQ(SeriesCount(registry_, "sieve_broker_job_queued_chunks"), 2u);
  EXPECT_FALSE(MetricValue(registry_, "sieve_broker_job_queued_chunks",
                           {{"job_id", BrokerMetrics::kOtherJobs}}));
}

}  // namespace
}  // namespace sieve
