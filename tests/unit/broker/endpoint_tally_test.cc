#include "broker/endpoint_tally.h"

#include <gtest/gtest.h>

namespace sieve {
namespace {

proto::EndpointCounts Counts(const std::string& endpoint, uint64_t answered, uint64_t failed,
                             uint32_t cooling) {
  proto::EndpointCounts c;
  c.endpoint = endpoint;
  c.answered = answered;
  c.failed = failed;
  c.rate_limited = 1;
  c.refused = 2;
  c.cooling = cooling;
  return c;
}

proto::JobEndpointCounts Report(const std::string& job,
                                std::vector<proto::EndpointCounts> endpoints) {
  proto::JobEndpointCounts r;
  r.job_id = job;
  r.endpoints = std::move(endpoints);
  return r;
}

TEST(EndpointTallyTest, SumsHeartbeatsOfEveryWorkerInPoolOrder) {
  EndpointTally tally;
  tally.Add("w1", {Report("j1", {Counts("http://a", 10, 1, 0), Counts("http://b", 5, 0, 0)})});
  tally.Add("w2", {Report("j1", {Counts("http://a", 7, 0, 0), Counts("http://b", 3, 2, 0)})});
  tally.Add("w1", {Report("j1", {Counts("http://a", 1, 0, 0), Counts("http://b", 0, 0, 0)})});
  std::vector<proto::EndpointCounts> got = tally.Of("j1");
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].endpoint, "http://a");
  EXPECT_EQ(got[0].answered, 18u);
  EXPECT_EQ(got[0].failed, 1u);
  EXPECT_EQ(got[0].rate_limited, 3u);
  EXPECT_EQ(got[0].refused, 6u);
  EXPECT_EQ(got[1].endpoint, "http://b");
  EXPECT_EQ(got[1].answered, 8u);
  EXPECT_EQ(got[1].failed, 2u);
  EXPECT_TRUE(tally.Of("j2").empty());
}

TEST(EndpointTallyTest, CoolingIsEachWorkersLatestWord) {
  EndpointTally tally;
  tally.Add("w1", {Report("j1", {Counts("http://a", 0, 3, 1)})});
  tally.Add("w2", {Report("j1", {Counts("http://a", 0, 3, 1)})});
  EXPECT_EQ(tally.Of("j1")[0].cooling, 2u);
  tally.Add("w1", {Report("j1", {Counts("http://a", 1, 0, 0)})});  // w1 probed it back in
  EXPECT_EQ(tally.Of("j1")[0].cooling, 1u);
  tally.Add("w2", {});  // w2 closed its engine for the job: it rests nothing of it
  EXPECT_EQ(tally.Of("j1")[0].cooling, 0u);
  tally.Add("w1", {Report("j1", {Counts("http://a", 0, 0, 1)})});
  tally.WorkerGone("w1");
  EXPECT_EQ(tally.Of("j1")[0].cooling, 0u);
  EXPECT_EQ(tally.Of("j1")[0].failed, 6u);  // the counts stay
}

TEST(EndpointTallyTest, ForgetsAJob) {
  EndpointTally tally;
  tally.Add("w1", {Report("j1", {Counts("http://a", 4, 0, 0)}),
                   Report("j2", {Counts("http://c", 9, 0, 0)})});
  tally.ForgetJob("j1");
  EXPECT_TRUE(tally.Of("j1").empty());
  EXPECT_EQ(tally.Of("j2")[0].answered, 9u);
}

}  // namespace
}  // namespace sieve
