// ConsoleBoard: what the web console's JSON API answers from the snapshots the loop publishes.
#include "broker/console_board.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace sieve {
namespace {

const std::string kJob = "j00000000000000a1";
const std::string kOlder = "j00000000000000b2";

ConsoleJob Job(const std::string& id, uint64_t created, uint64_t done,
               proto::JobState state = proto::JobState::kSealed) {
  ConsoleJob job;
  job.status.job_id = id;
  job.status.name = "crawl";
  job.status.state = state;
  job.status.created_unix_ms = created;
  job.status.total_rows = 1000;
  job.status.done_rows = done;
  job.chunks = "ccl";
  return job;
}

ConsoleSnapshot At(int64_t now_ms, uint64_t done) {
  ConsoleSnapshot s;
  s.now_unix_ms = now_ms;
  s.jobs = {Job(kOlder, 1, 1000, proto::JobState::kDone), Job(kJob, 2, done)};
  ConsoleWorker w;
  w.name = "w1";
  w.address = "0x01";
  w.version = "1.2.3";
  w.rows_done = done;
  s.workers = {w};
  return s;
}

nlohmann::json Body(const HttpAnswer& a) { return nlohmann::json::parse(a.body); }

TEST(ConsoleBoardTest, ListsJobsNewestFirstWithRateAndEta) {
  ConsoleBoard board;
  board.Publish(At(10'000, 100));
  board.Publish(At(11'000, 200));
  board.Publish(At(12'000, 300));  // 200 rows in 2 s: 100 rows/s, 700 rows left: 7 s
  nlohmann::json out = Body(board.Overview());
  ASSERT_EQ(out["jobs"].size(), 2u);
  EXPECT_EQ(out["jobs"][0]["job_id"], kJob);
  EXPECT_EQ(out["jobs"][1]["job_id"], kOlder);
  EXPECT_DOUBLE_EQ(out["jobs"][0]["rows_per_s"].get<double>(), 100.0);
  EXPECT_DOUBLE_EQ(out["jobs"][0]["eta_s"].get<double>(), 7.0);
  EXPECT_TRUE(out["jobs"][1]["eta_s"].is_null());  // ended
  EXPECT_EQ(out["workers"][0]["version"], "1.2.3");
  EXPECT_DOUBLE_EQ(out["workers"][0]["rows_per_s"].get<double>(), 100.0);
  EXPECT_EQ(out["limits"], nlohmann::json::array());
  EXPECT_EQ(out["actions"], nlohmann::json::array());  // read-only by default
}

TEST(ConsoleBoardTest, KeepsAHistoryAtMostOneSampleASecondAndBounded) {
  ConsoleBoard board;
  for (int64_t t = 0; t < 2000; ++t) board.Publish(At(t * 250, static_cast<uint64_t>(t)));
  nlohmann::json job = Body(board.Job(kJob));
  ASSERT_EQ(job["history"].size(), ConsoleBoard::kHistorySamples);
  const auto& h = job["history"];
  for (size_t i = 1; i < h.size(); ++i) {
    EXPECT_GE(h[i][0].get<int64_t>() - h[i - 1][0].get<int64_t>(), ConsoleBoard::kSampleMs);
  }
  EXPECT_EQ(job["chunks"], "ccl");
}

TEST(ConsoleBoardTest, KeepsTheFirstFailedRowsSortedAndForgetsEndedJobs) {
  ConsoleBoard board;
  board.Publish(At(0, 0));
  std::vector<proto::RowError> rows;
  for (uint64_t r = 30; r > 0; --r) rows.push_back({r, "HTTP 500"});
  board.NoteFailedRows(kJob, rows);
  nlohmann::json job = Body(board.Job(kJob));
  ASSERT_EQ(job["failed_rows"].size(), ConsoleBoard::kFailedRowsKept);
  EXPECT_EQ(job["failed_rows"][0]["row"], 11);  // the first 20 reported (30..11), by row
  EXPECT_EQ(job["failed_rows"][0]["reason"], "HTTP 500");
  ConsoleSnapshot gone;
  gone.now_unix_ms = 1000;
  board.Publish(gone);
  EXPECT_EQ(board.Job(kJob).status, 404);
  board.Publish(At(2000, 0));
  EXPECT_EQ(Body(board.Job(kJob))["failed_rows"].size(), 0u);
}

TEST(ConsoleBoardTest, AStripNotRebuiltKeepsThePreviousOne) {
  ConsoleBoard board;
  board.Publish(At(0, 0));
  ConsoleSnapshot next = At(100, 0);
  next.jobs[1].chunks.clear();
  next.jobs[1].chunks_fresh = false;
  board.Publish(next);
  EXPECT_EQ(Body(board.Job(kJob))["chunks"], "ccl");
}

TEST(ConsoleSpecTest, ShowsHeaderNamesNeverValuesAndRedactsTheUrl) {
  proto::JobSpec spec;
  spec.endpoint = "https://user:hunter2@model.example/v1?api_key=sekrit";
  spec.headers = {"Authorization: Bearer sk-live-123", "X-Trace: abc"};
  spec.withheld_headers = {"X-Api-Key"};
  const std::string text = ConsoleSpec(spec).dump();
  EXPECT_EQ(text.find("sk-live-123"), std::string::npos) << text;
  EXPECT_EQ(text.find("hunter2"), std::string::npos) << text;
  EXPECT_EQ(text.find("sekrit"), std::string::npos) << text;
  EXPECT_EQ(text.find("abc"), std::string::npos) << text;
  EXPECT_EQ(ConsoleSpec(spec)["header_names"],
            (nlohmann::json{"Authorization", "X-Api-Key", "X-Trace"}));
}

}  // namespace
}  // namespace sieve
