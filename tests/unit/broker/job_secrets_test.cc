// JobSecrets: credential headers out of the stored spec, back into ASSIGN; waiting after a
// restart, parking and resupply; holds for a missing worker secret.
#include "broker/job_secrets.h"

#include <gtest/gtest.h>

#include "proto/job_id.h"

namespace sieve {
namespace {

JobEntry Job(std::vector<std::string> headers, std::vector<std::string> secret_names = {}) {
  JobEntry job;
  job.record.job_id = proto::FormatJobId(7);
  job.record.state = JobState::kSealed;
  job.spec.endpoint = "http://model/classify";
  job.spec.headers = std::move(headers);
  job.spec.secret_headers = std::move(secret_names);
  return job;
}

TEST(JobSecretsTest, TakesLiteralCredentialsOnly) {
  JobEntry job = Job({"Authorization: Bearer sk-1", "X-Team: data", "X-Token: t-2",
                      "Api-Key: ${secret:k}"},
                     {"x-token"});
  std::vector<std::string> taken = TakeCredentialHeaders(job.spec);
  EXPECT_EQ(taken, (std::vector<std::string>{"Authorization: Bearer sk-1", "X-Token: t-2"}));
  EXPECT_EQ(job.spec.headers, (std::vector<std::string>{"X-Team: data", "Api-Key: ${secret:k}"}));
  EXPECT_EQ(job.spec.withheld_headers, (std::vector<std::string>{"Authorization", "X-Token"}));
}

TEST(JobSecretsTest, PutBackInAssignAndWaitWhenLost) {
  JobEntry job = Job({"Authorization: Bearer sk-1", "X-Team: data"});
  std::vector<std::string> taken = TakeCredentialHeaders(job.spec);
  JobSecrets secrets;
  secrets.Put(job.record.job_id, taken);
  EXPECT_FALSE(secrets.Waiting(job));
  proto::JobSpec assign = secrets.SpecForWorker(job);
  EXPECT_EQ(assign.headers,
            (std::vector<std::string>{"X-Team: data", "Authorization: Bearer sk-1"}));
  EXPECT_TRUE(assign.withheld_headers.empty());

  JobSecrets restarted;  // a broker restart: nothing in memory
  EXPECT_TRUE(restarted.Waiting(job));
  proto::JobStatus status;
  restarted.Describe(job, status);
  EXPECT_EQ(status.waiting_for, "secret");
  EXPECT_NE(status.message.find("sieve resume " + job.record.job_id), std::string::npos);
  EXPECT_TRUE(restarted.Park(job, {job.record.job_id, 0}, 0));
  EXPECT_TRUE(restarted.Park(job, {job.record.job_id, 1}, 0));
  EXPECT_TRUE(restarted.Unpark(1'000'000).empty());  // waiting: stays parked

  Result<std::vector<ChunkKey>> refused = restarted.Resupply(job, {"X-Team: data"});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("Authorization"), std::string::npos);
  Result<std::vector<ChunkKey>> parked =
      restarted.Resupply(job, {"authorization: Bearer sk-1", "X-Other: o"});
  ASSERT_TRUE(parked.ok());
  EXPECT_EQ(parked->size(), 2u);
  EXPECT_EQ((*parked)[0].chunk_index, 0u);
  EXPECT_FALSE(restarted.Waiting(job));
  EXPECT_EQ(restarted.SpecForWorker(job).headers.back(), "authorization: Bearer sk-1");
  restarted.Drop(job.record.job_id);
  EXPECT_TRUE(restarted.Waiting(job));
  job.record.state = JobState::kDone;
  EXPECT_FALSE(restarted.Waiting(job));  // an ended job waits for nothing
}

TEST(JobSecretsTest, MissingWorkerSecretHoldsTheJobBack) {
  JobEntry job = Job({"Authorization: Bearer ${secret:model}"});
  EXPECT_TRUE(TakeCredentialHeaders(job.spec).empty());
  JobSecrets secrets;
  EXPECT_FALSE(secrets.Park(job, {job.record.job_id, 0}, 0));
  secrets.NoteMissingWorkerSecret(job.record.job_id, "w1", "model", 1000);
  proto::JobStatus status;
  secrets.Describe(job, status);
  EXPECT_EQ(status.waiting_for, "");
  EXPECT_NE(status.message.find("has no secret 'model'"), std::string::npos);
  EXPECT_TRUE(secrets.Park(job, {job.record.job_id, 3}, 2000));
  EXPECT_TRUE(secrets.Unpark(5999).empty());
  std::vector<ChunkKey> back = secrets.Unpark(6000);  // 5 s after the hand-back
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].chunk_index, 3u);
  secrets.NoteMissingWorkerSecret(job.record.job_id, "w1", "model", 10000);
  EXPECT_TRUE(secrets.Park(job, {job.record.job_id, 4}, 19999));  // doubled: 10 s
  secrets.ClearNote(job.record.job_id);  // a chunk committed
  EXPECT_EQ(secrets.Unpark(20000).size(), 1u);
  EXPECT_FALSE(secrets.Park(job, {job.record.job_id, 5}, 20000));
}

}  // namespace
}  // namespace sieve
