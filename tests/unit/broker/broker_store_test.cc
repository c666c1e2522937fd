#include "broker/broker_store.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace sieve {
namespace {

class BrokerStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("broker_store_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<BrokerStore> OpenStore() {
    auto store = BrokerStore::Open((dir_ / "broker.db").string());
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return std::move(store).value();
  }

  static JobRecord Job(const std::string& id) {
    JobRecord job;
    job.job_id = id;
    job.name = "websites";
    job.spec = std::string("\x81\xa1x\x01", 4);
    job.header = "website,content\r\n";
    job.created_ms = 42;
    job.client = "local";
    return job;
  }

  std::filesystem::path dir_;
};

TEST_F(BrokerStoreTest, JobsAndChunksSurviveReopen) {
  {
    auto store = OpenStore();
    ASSERT_TRUE(store->CreateJob(Job("j0000000000000001")).ok());
    for (uint64_t i = 0; i < 3; ++i) {
      ChunkRecord c{"j0000000000000001", i, i * 10, 10, 100, ChunkState::kQueued, 0, 0};
      ASSERT_TRUE(store->AddChunk(c).ok());
    }
    ASSERT_TRUE(store->SealJob("j0000000000000001", 3, 30).ok());
    ASSERT_TRUE(store->UpdateChunkAttempts("j0000000000000001", 1, 2, 1).ok());
  }
  auto store = OpenStore();
  auto jobs = store->LoadJobs();
  ASSERT_TRUE(jobs.ok());
  ASSERT_EQ(jobs->size(), 1u);
  const JobRecord& job = (*jobs)[0];
  EXPECT_EQ(job.header, "website,content\r\n");
  EXPECT_EQ(job.spec, std::string("\x81\xa1x\x01", 4));
  EXPECT_EQ(job.state, JobState::kSealed);
  EXPECT_EQ(job.total_chunks, 3u);
  EXPECT_EQ(job.total_rows, 30u);
  auto chunks = store->LoadChunks("j0000000000000001");
  ASSERT_TRUE(chunks.ok());
  ASSERT_EQ(chunks->size(), 3u);
  EXPECT_EQ((*chunks)[1].first_row, 10u);
  EXPECT_EQ((*chunks)[1].attempts, 2u);
  EXPECT_EQ((*chunks)[1].failures, 1u);
}

TEST_F(BrokerStoreTest, AddChunkTwiceKeepsOne) {
  auto store = OpenStore();
  ASSERT_TRUE(store->CreateJob(Job("j0000000000000002")).ok());
  ChunkRecord c{"j0000000000000002", 0, 0, 5, 50, ChunkState::kQueued, 0, 0};
  ASSERT_TRUE(store->AddChunk(c).ok());
  ASSERT_TRUE(store->AddChunk(c).ok());
  EXPECT_EQ(store->LoadChunks("j0000000000000002")->size(), 1u);
}

TEST_F(BrokerStoreTest, CommitCountsRowsOnce) {
  auto store = OpenStore();
  ASSERT_TRUE(store->CreateJob(Job("j0000000000000003")).ok());
  ChunkRecord c{"j0000000000000003", 0, 0, 7, 70, ChunkState::kQueued, 0, 0};
  ASSERT_TRUE(store->AddChunk(c).ok());
  auto first = store->CommitChunk("j0000000000000003", 0, 2);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(*first);
  auto second = store->CommitChunk("j0000000000000003", 0, 2);
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(*second);
  auto jobs = store->LoadJobs();
  EXPECT_EQ((*jobs)[0].done_rows, 7u);
  EXPECT_EQ((*jobs)[0].error_rows, 2u);
  EXPECT_EQ(store->LoadChunks("j0000000000000003")->at(0).state, ChunkState::kCommitted);
}

TEST_F(BrokerStoreTest, StateAndDelete) {
  auto store = OpenStore();
  ASSERT_TRUE(store->CreateJob(Job("j0000000000000004")).ok());
  ASSERT_TRUE(store->SetJobState("j0000000000000004", JobState::kCancelled, 99, "by user").ok());
  auto jobs = store->LoadJobs();
  EXPECT_EQ((*jobs)[0].state, JobState::kCancelled);
  EXPECT_EQ((*jobs)[0].message, "by user");
  ASSERT_TRUE(store->SetOutputPath("j0000000000000004", "/data/out.csv").ok());
  EXPECT_EQ(store->LoadJobs()->at(0).output_path, "/data/out.csv");
  ASSERT_TRUE(store->DeleteJob("j0000000000000004").ok());
  EXPECT_TRUE(store->LoadJobs()->empty());
}

TEST_F(BrokerStoreTest, DuplicateJobIsAnError) {
  auto store = OpenStore();
  ASSERT_TRUE(store->CreateJob(Job("j0000000000000005")).ok());
  EXPECT_FALSE(store->CreateJob(Job("j0000000000000005")).ok());
}

TEST_F(BrokerStoreTest, CorruptDatabaseFileIsRefused) {
  std::string path = (dir_ / "broker.db").string();
  FILE* f = fopen(path.c_str(), "w");
  fputs("this is not a sqlite database, just text that is long enough to look like a header",
        f);
  fclose(f);
  auto store = BrokerStore::Open(path);
  EXPECT_FALSE(store.ok());
}

}  // namespace
}  // namespace sieve
