// StatusBoard: the broker's JSON status API renders the last published snapshot, through the
// routes a MetricsServer serves.
#include "broker/status_board.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <regex>

#include "proto/status_json.h"

namespace sieve {
namespace {

proto::JobStatus Job(const std::string& id, uint64_t done_rows) {
  proto::JobStatus job;
  job.job_id = id;
  job.name = "crawl";
  job.state = proto::JobState::kSealed;
  job.total_rows = 100;
  job.done_rows = done_rows;
  return job;
}

const std::string kJob1 = "j00000000000000a1";
const std::string kJob2 = "j00000000000000b2";

class StatusBoardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    proto::WorkerInfo worker;
    worker.name = "w1";
    worker.leases = 2;
    board_.Publish({Job(kJob1, 10), Job(kJob2, 20)}, {worker});
  }
  StatusBoard board_;
};

TEST_F(StatusBoardTest, ListsJobsAsTheCliPrintsThem) {
  HttpAnswer answer = board_.Jobs();
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.content_type, "application/json");
  nlohmann::json jobs = nlohmann::json::parse(answer.body);
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[0], proto::ToJson(Job(kJob1, 10)));
  EXPECT_EQ(jobs[1]["done_rows"], 20);
}

TEST_F(StatusBoardTest, OneJobOr404) {
  HttpAnswer found = board_.Job(kJob2);
  EXPECT_EQ(found.status, 200);
  EXPECT_EQ(nlohmann::json::parse(found.body)["job_id"], kJob2);
  HttpAnswer missing = board_.Job("j0000000000000000");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(nlohmann::json::parse(missing.body)["error"], "no job j0000000000000000");
}

TEST_F(StatusBoardTest, ListsWorkers) {
  nlohmann::json workers = nlohmann::json::parse(board_.Workers().body);
  ASSERT_EQ(workers.size(), 1u);
  EXPECT_EQ(workers[0]["name"], "w1");
  EXPECT_EQ(workers[0]["leases"], 2);
}

TEST_F(StatusBoardTest, ANewSnapshotReplacesTheOld) {
  board_.Publish({Job(kJob1, 99)}, {});
  EXPECT_EQ(nlohmann::json::parse(board_.Jobs().body).size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(board_.Job(kJob1).body)["done_rows"], 99);
  EXPECT_EQ(board_.Job(kJob2).status, 404);
  EXPECT_EQ(nlohmann::json::parse(board_.Workers().body), nlohmann::json::array());
}

TEST_F(StatusBoardTest, RoutesMatchOnlyWellFormedJobIds) {
  std::vector<HttpRoute> routes = board_.Routes();
  ASSERT_EQ(routes.size(), 3u);
  const std::regex job_route(routes[1].pattern);
  std::smatch m;
  const std::string good = "/api/v1/jobs/" + kJob1;
  ASSERT_TRUE(std::regex_match(good, m, job_route));
  EXPECT_EQ(routes[1].handler({m[1].str()}).status, 200);
  for (const std::string& bad :
       std::vector<std::string>{"/api/v1/jobs/j1", "/api/v1/jobs/J00000000000000a1",
                                "/api/v1/jobs/" + kJob1 + "/x", "/api/v1/jobs/../metrics"}) {
    EXPECT_FALSE(std::regex_match(bad, job_route)) << bad;
  }
  EXPECT_EQ(routes[0].handler({}).status, 200);
  EXPECT_EQ(routes[2].handler({}).status, 200);
}

}  // namespace
}  // namespace sieve
