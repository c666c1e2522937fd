// RebuildAfterRetry over real job directories (collector/output_rebuild.h).
#include "collector/output_rebuild.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/file_util.h"

namespace sieve {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class OutputRebuildTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() /
            ("output_rebuild_test_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A finished job whose data rows are `records` (labelled, with terminators), one chunk each;
  // `errors` are (row, reason) of the rows labelled "error".
  std::unique_ptr<JobOutput> Finished(const std::string& id, const std::vector<std::string>& records,
                                      const std::vector<StoredRowError>& errors,
                                      const std::string& retry_of = "") {
    JobMeta meta;
    meta.job_id = id;
    meta.header_record = "website,content\n";
    meta.label_column = "label";
    meta.opened_wall_ms = 1;
    meta.retry_of = retry_of;
    Result<std::unique_ptr<JobOutput>> job = JobOutput::Open(dir_ + "/" + id, meta);
    EXPECT_TRUE(job.ok()) << job.status().ToString();
    for (size_t i = 0; i < records.size(); ++i) {
      StoredResult r;
      r.first_row = i;
      r.rows = 1;
      r.attempt = 1;
      r.retries = 1;
      r.labelled = records[i];
      for (const StoredRowError& e : errors) {
        if (e.row == i) {
          r.errors.push_back(e);
          r.error_rows = 1;
        }
      }
      EXPECT_TRUE((*job)->Store(i, r).ok());
    }
    EXPECT_TRUE((*job)->Seal(records.size(), records.size()).ok());
    Result<uint64_t> merged = (*job)->MergeReady();
    EXPECT_TRUE(merged.ok()) << merged.status().ToString();
    EXPECT_TRUE((*job)->finished());
    return std::move(*job);
  }

  std::string dir_;
};

TEST_F(OutputRebuildTest, SubstitutesRetriedRowsInPlaceAndCountsOnce) {
  auto done = Finished("j00000000000000a1",
                       {"a,one,news\n", "b,\"t,wo\",error\n", "c,three,sports\n",
                        "d,four,error\n", "e,five,error\n"},
                       {{1, "HTTP 500"}, {3, "timeout"}, {4, "refused"}});
  EXPECT_EQ(done->progress().error_rows, 3u);
  // The retry job: rows 1, 3, 4 of the done job; the last fails again.
  auto retry = Finished("j00000000000000b2",
                        {"b,\"t,wo\",shop\n", "d,four,travel\n", "e,five,error\n"},
                        {{2, "refused again"}}, done->meta().job_id);
  Result<RebuildOutcome> out = RebuildAfterRetry(*done, *retry);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_FALSE(out->already);
  EXPECT_EQ(out->retried_rows, 3u);
  EXPECT_EQ(out->error_rows, 1u);
  EXPECT_EQ(Slurp(done->output_path()),
            "website,content,label\na,one,news\nb,\"t,wo\",shop\nc,three,sports\n"
            "d,four,travel\ne,five,error\n");
  EXPECT_EQ(Slurp(done->errors_path()), "row,website,reason\n5,e,refused again\n");
  nlohmann::json summary = nlohmann::json::parse(Slurp(done->summary_path()));
  EXPECT_EQ(summary["errors"], 1);
  EXPECT_EQ(summary["labelled"], 4);
  EXPECT_EQ(summary["retries"], 8);  // 5 + the retry job's 3
  EXPECT_EQ(summary["retried_by"], nlohmann::json::array({"j00000000000000b2"}));
  EXPECT_EQ(done->progress().error_rows, 1u);
  EXPECT_FALSE(std::filesystem::exists(done->dir() + "/rebuild.json"));

  // Applied again (a restart): nothing changes.
  Result<RebuildOutcome> again = RebuildAfterRetry(*done, *retry);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->already);
  EXPECT_EQ(nlohmann::json::parse(Slurp(done->summary_path()))["retries"], 8);

  // A second retry of what is still failed: every row labelled, no errors report left.
  auto second = Finished("j00000000000000c3", {"e,five,music\n"}, {}, done->meta().job_id);
  out = RebuildAfterRetry(*done, *second);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->error_rows, 0u);
  EXPECT_EQ(Slurp(done->output_path()),
            "website,content,label\na,one,news\nb,\"t,wo\",shop\nc,three,sports\n"
            "d,four,travel\ne,five,music\n");
  EXPECT_FALSE(std::filesystem::exists(done->errors_path()));
  summary = nlohmann::json::parse(Slurp(done->summary_path()));
  EXPECT_EQ(summary["errors"], 0);
  EXPECT_EQ(summary["retried_rows"], 4);
}

TEST_F(OutputRebuildTest, RefusesARetryThatNoLongerMatches) {
  auto done = Finished("j00000000000000a1", {"a,one,error\n", "b,two,error\n"},
                       {{0, "x"}, {1, "y"}});
  auto stale = Finished("j00000000000000b2", {"a,one,news\n"}, {}, done->meta().job_id);
  const std::string before = Slurp(done->output_path());
  Result<RebuildOutcome> out = RebuildAfterRetry(*done, *stale);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(Slurp(done->output_path()), before);
  EXPECT_EQ(done->progress().error_rows, 2u);
}

TEST_F(OutputRebuildTest, FinishesAnInterruptedRebuildFromItsIntent) {
  auto done = Finished("j00000000000000a1", {"a,one,error\n", "b,two,news\n", "c,3,error\n"},
                       {{0, "x"}, {2, "y"}});
  auto retry = Finished("j00000000000000b2", {"a,one,news\n", "c,3,sports\n"}, {},
                        done->meta().job_id);
  // A crash after the output and the errors report were replaced, before the summary: the
  // errors report no longer names the retried rows, rebuild.json still does.
  ASSERT_TRUE(WriteFileAtomic(done->dir() + "/rebuild.json",
                              R"({"retry_job":"j00000000000000b2","rows":[0,2]})")
                  .ok());
  ASSERT_TRUE(WriteFileAtomic(done->errors_path(), "row,website,reason\n").ok());
  Result<RebuildOutcome> out = RebuildAfterRetry(*done, *retry);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(Slurp(done->output_path()), "website,content,label\na,one,news\nb,two,news\nc,3,sports\n");
  EXPECT_EQ(nlohmann::json::parse(Slurp(done->summary_path()))["errors"], 0);
  EXPECT_FALSE(std::filesystem::exists(done->dir() + "/rebuild.json"));
}

}  // namespace
}  // namespace sieve
