#include "collector/job_output.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
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

class JobOutputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() /
            ("job_output_test_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static JobMeta Meta() {
    JobMeta m;
    m.job_id = "j0123456789abcdef";
    m.name = "t";
    m.header_record = "website,content\r\n";
    m.label_column = "label";
    m.opened_wall_ms = 1;
    return m;
  }
  // Chunk i holds rows 2i and 2i+1.
  static StoredResult Chunk(uint64_t i, bool with_error = false) {
    StoredResult r;
    r.first_row = 2 * i;
    r.rows = 2;
    r.attempt = 1;
    r.labelled = "site" + std::to_string(2 * i) + ",\"x,\ny\",news\r\n" + "site" +
                 std::to_string(2 * i + 1) + ",z," + (with_error ? "error" : "sports") + "\r\n";
    if (with_error) {
      r.error_rows = 1;
      r.errors = {{2 * i + 1, "HTTP 500 after 4 attempts"}};
    }
    return r;
  }

  std::string dir_;
};

TEST_F(JobOutputTest, MergesOutOfOrderChunksInOrder) {
  auto job = JobOutput::Open(dir_, Meta());
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  JobOutput& out = **job;
  ASSERT_TRUE(out.Store(2, Chunk(2)).ok());
  ASSERT_TRUE(out.Store(1, Chunk(1)).ok());
  EXPECT_EQ(*out.MergeReady(), 0u);  // chunk 0 missing: nothing can be merged
  EXPECT_EQ(out.pending(), 2u);
  ASSERT_TRUE(out.Store(0, Chunk(0)).ok());
  EXPECT_TRUE(out.IsCommitted(0));
  EXPECT_FALSE(out.IsCommitted(3));
  EXPECT_EQ(*out.MergeReady(), 3u);
  EXPECT_FALSE(out.finished());
  ASSERT_TRUE(out.Seal(3, 6).ok());
  EXPECT_EQ(*out.MergeReady(), 0u);
  ASSERT_TRUE(out.finished());
  std::string expected = "website,content,label\r\n" + Chunk(0).labelled + Chunk(1).labelled +
                         Chunk(2).labelled;
  EXPECT_EQ(Slurp(out.output_path()), expected);
  EXPECT_EQ(out.CommittedChunks(), (std::vector<uint64_t>{0, 1, 2}));
  EXPECT_EQ(out.CountsOf(1)->rows, 2u);
  EXPECT_TRUE(out.IsCommitted(1));
  EXPECT_FALSE(FileExists(out.errors_path()));  // no failed rows, no errors report
  std::string summary = Slurp(out.summary_path());
  EXPECT_NE(summary.find("\"rows\": 6"), std::string::npos) << summary;
}

TEST_F(JobOutputTest, TokensAreSummedIntoTheSummaryWithTheCostAndSurviveARestart) {
  JobMeta meta = Meta();
  meta.price = "2,10";
  auto with_tokens = [](uint64_t i) {
    StoredResult r = Chunk(i);
    r.prompt_tokens = 1000 * (i + 1);
    r.completion_tokens = 10 * (i + 1);
    r.answers_invalid = i;
    r.rows_invalid = i == 2 ? 1 : 0;
    return r;
  };
  {
    auto job = JobOutput::Open(dir_, meta);
    ASSERT_TRUE(job.ok());
    ASSERT_TRUE((*job)->Store(0, with_tokens(0)).ok());
    ASSERT_TRUE((*job)->Store(1, with_tokens(1)).ok());
    ASSERT_EQ(*(*job)->MergeReady(), 2u);
    ASSERT_TRUE((*job)->Store(2, with_tokens(2)).ok());  // stored, not merged
  }
  auto job = JobOutput::Recover(dir_);  // a collector restart
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  EXPECT_EQ((*job)->CountsOf(1)->prompt_tokens, 2000u);  // from committed.log
  EXPECT_EQ((*job)->CountsOf(1)->completion_tokens, 20u);
  EXPECT_EQ((*job)->CountsOf(2)->prompt_tokens, 3000u);  // from the stored result
  EXPECT_EQ((*job)->meta().price, "2,10");
  ASSERT_TRUE((*job)->Seal(3, 6).ok());
  ASSERT_EQ(*(*job)->MergeReady(), 1u);
  ASSERT_TRUE((*job)->finished());
  const auto summary = nlohmann::json::parse(Slurp((*job)->summary_path()));
  EXPECT_EQ(summary["tokens"]["prompt"], 6000);
  EXPECT_EQ(summary["tokens"]["completion"], 60);
  EXPECT_DOUBLE_EQ(summary["cost"].get<double>(), (6000 * 2 + 60 * 10) / 1e6);
  EXPECT_EQ(summary["invalid_answers"], 3);
  EXPECT_EQ(summary["invalid_rows"], 1);
}

TEST_F(JobOutputTest, ErrorsReportNamesRowKeyAndReason) {
  JobMeta meta = Meta();
  meta.sealed = true;
  meta.total_chunks = 1;
  meta.total_rows = 2;
  auto job = JobOutput::Open(dir_, meta);
  ASSERT_TRUE(job.ok());
  ASSERT_TRUE((*job)->Store(0, Chunk(0, true)).ok());
  ASSERT_TRUE((*job)->MergeReady().ok());
  ASSERT_TRUE((*job)->finished());
  EXPECT_EQ(Slurp((*job)->errors_path()), "row,website,reason\n2,site1,HTTP 500 after 4 attempts\n");
  EXPECT_EQ((*job)->progress().error_rows, 1u);
}

TEST_F(JobOutputTest, RecoversAndIgnoresATornAppend) {
  {
    auto job = JobOutput::Open(dir_, Meta());
    ASSERT_TRUE(job.ok());
    ASSERT_TRUE((*job)->Store(0, Chunk(0)).ok());
    ASSERT_TRUE((*job)->MergeReady().ok());
    ASSERT_TRUE((*job)->Store(1, Chunk(1)).ok());
  }
  // A crash in the middle of the next append leaves garbage past the durable offset.
  {
    std::ofstream partial(dir_ + "/output.partial", std::ios::app | std::ios::binary);
    partial << "torn,half,a";
  }
  auto job = JobOutput::Recover(dir_);
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  EXPECT_TRUE((*job)->IsCommitted(0));
  EXPECT_TRUE((*job)->IsCommitted(1));
  EXPECT_EQ((*job)->pending(), 1u);
  EXPECT_EQ((*job)->CommittedChunks(), (std::vector<uint64_t>{0, 1}));
  EXPECT_EQ((*job)->CountsOf(0)->rows, 2u);
  EXPECT_EQ((*job)->CountsOf(1)->rows, 2u);
  EXPECT_EQ((*job)->CountsOf(2).status().code(), Status::Code::kNotFound);
  ASSERT_TRUE((*job)->Seal(2, 4).ok());
  EXPECT_EQ(*(*job)->MergeReady(), 1u);
  ASSERT_TRUE((*job)->finished());
  EXPECT_EQ(Slurp((*job)->output_path()),
            "website,content,label\r\n" + Chunk(0).labelled + Chunk(1).labelled);
}

TEST_F(JobOutputTest, CrashAfterMergeBeforeDeleteDoesNotDuplicate) {
  {
    auto job = JobOutput::Open(dir_, Meta());
    ASSERT_TRUE((*job)->Store(0, Chunk(0)).ok());
    ASSERT_TRUE((*job)->MergeReady().ok());
  }
  // Put the merged chunk's result file back, as if the crash came before its deletion.
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/results/0.res", EncodeStoredResult(Chunk(0))).ok());
  auto job = JobOutput::Recover(dir_);
  ASSERT_TRUE(job.ok());
  EXPECT_EQ((*job)->pending(), 0u);
  EXPECT_FALSE(FileExists(dir_ + "/results/0.res"));
  ASSERT_TRUE((*job)->Seal(1, 2).ok());
  ASSERT_TRUE((*job)->MergeReady().ok());
  EXPECT_EQ(Slurp((*job)->output_path()), "website,content,label\r\n" + Chunk(0).labelled);
}

TEST_F(JobOutputTest, CrashBetweenRenamesIsRepaired) {
  JobMeta meta = Meta();
  meta.sealed = true;
  meta.total_chunks = 1;
  meta.total_rows = 2;
  {
    auto job = JobOutput::Open(dir_, meta);
    ASSERT_TRUE((*job)->Store(0, Chunk(0, true)).ok());
    ASSERT_TRUE((*job)->MergeReady().ok());
  }
  std::string output = Slurp(dir_ + "/output.csv");
  std::string errors = Slurp(dir_ + "/output.errors.csv");
  // Undo the last steps of Finish as a crash would have left them: errors renamed, output not.
  std::filesystem::rename(dir_ + "/output.csv", dir_ + "/output.partial");
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/merge.json",
                              "{\"next_chunk\":1,\"output_bytes\":" + std::to_string(output.size()) +
                                  ",\"errors_bytes\":" + std::to_string(errors.size()) +
                                  ",\"log_bytes\":6" +
                                  ",\"rows\":2,\"error_rows\":1,\"retries\":0,"
                                  "\"finished_wall_ms\":0}")
                  .ok());
  auto job = JobOutput::Recover(dir_);
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  ASSERT_TRUE((*job)->MergeReady().ok());
  ASSERT_TRUE((*job)->finished());
  EXPECT_EQ(Slurp(dir_ + "/output.csv"), output);
  EXPECT_EQ(Slurp(dir_ + "/output.errors.csv"), errors);
}

TEST_F(JobOutputTest, CorruptStateIsAnError) {
  {
    auto job = JobOutput::Open(dir_, Meta());
    ASSERT_TRUE(job.ok());
  }
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/merge.json", "{\"next_chunk\": \"x\"}").ok());
  EXPECT_EQ(JobOutput::Recover(dir_).status().code(), Status::Code::kCorrupt);
  EXPECT_EQ(JobOutput::Recover(dir_ + "/nope").status().code(), Status::Code::kNotFound);
}

TEST_F(JobOutputTest, CorruptResultFileStopsTheMergeWithAnError) {
  auto job = JobOutput::Open(dir_, Meta());
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/results/0.res", "garbage").ok());
  EXPECT_EQ((*job)->MergeReady().status().code(), Status::Code::kCorrupt);
}

}  // namespace
}  // namespace sieve
