// JobBook retention, driven by a FakeClock: an ended job leaves memory after retain_ms yet is
// still answered for from SQLite; after purge_ms its rows and spool are gone.
#include "broker/job_book.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace sieve {
namespace {

constexpr int64_t kHourMs = int64_t{3600} * 1000;
constexpr int64_t kDayMs = 24 * kHourMs;

class JobBookTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("job_book_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<JobBook> Open(int64_t retain_ms = kHourMs) {
    auto book = JobBook::Open(dir_.string(), clock_, retain_ms);
    EXPECT_TRUE(book.ok()) << book.status().ToString();
    return std::move(book).value();
  }

  // A sealed job of `chunks` chunks of 2 rows each; returns its id.
  static std::string AddJob(JobBook& book, uint64_t chunks) {
    proto::Submit submit;
    submit.spec.name = "sites";
    submit.spec.endpoint = "http://127.0.0.1:9/classify";
    submit.header_record = "website,content\n";
    Result<std::string> id = book.Create(submit, "local");
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    for (uint64_t i = 0; i < chunks; ++i) {
      proto::Chunk chunk{*id, i, i * 2, 2, "a.com,x\nb.com,y\n"};
      EXPECT_TRUE(book.AddChunk(chunk).ok());
    }
    EXPECT_TRUE(book.Seal(proto::Seal{*id, chunks, chunks * 2}).ok());
    return *id;
  }

  static void Finish(JobBook& book, const std::string& id, uint64_t chunks) {
    for (uint64_t i = 0; i < chunks; ++i) {
      ASSERT_TRUE(book.Commit(id, i, i == 0 ? 2 : 0, /*failed=*/i == 0).ok());
    }
    ASSERT_TRUE(book.MarkDone(id, "/out/" + id + ".csv").ok());
  }

  std::filesystem::path dir_;
  FakeClock clock_;
};

TEST_F(JobBookTest, EndedJobLeavesMemoryAfterRetainYetStillAnswers) {
  auto book = Open();
  std::string done = AddJob(*book, 3);
  std::string active = AddJob(*book, 2);
  Finish(*book, done, 3);

  clock_.Advance(kHourMs - 1);
  EXPECT_TRUE(book->EvictEnded().empty()) << "evicted before --retain";
  ASSERT_NE(book->Find(done), nullptr);

  clock_.Advance(1);
  EXPECT_EQ(book->EvictEnded(), std::vector<std::string>{done});
  EXPECT_EQ(book->Find(done), nullptr);
  ASSERT_NE(book->Find(active), nullptr) << "an active job is never evicted";

  Result<StoredJob> stored = book->LoadStored(done);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_EQ(stored->record.state, JobState::kDone);
  EXPECT_EQ(stored->record.output_path, "/out/" + done + ".csv");
  EXPECT_EQ(stored->record.done_rows, 6u);
  EXPECT_EQ(stored->record.error_rows, 2u);
  EXPECT_EQ(stored->chunks, 3u);
  EXPECT_EQ(stored->chunks_committed, 3u);
  EXPECT_EQ(stored->chunks_failed, 1u);

  Result<std::vector<StoredJob>> listed = book->LoadStoredAll(100);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u) << "only the evicted job is listed from SQLite";
  EXPECT_EQ((*listed)[0].record.job_id, done);
  EXPECT_EQ(book->LoadStored(active).ok(), true);  // (it is in SQLite too, of course)
}

TEST_F(JobBookTest, ReopenLeavesJobsPastRetainInTheDatabase) {
  std::string done, active;
  {
    auto book = Open();
    done = AddJob(*book, 2);
    active = AddJob(*book, 1);
    Finish(*book, done, 2);
  }
  clock_.Advance(2 * kHourMs);
  auto book = Open();
  EXPECT_EQ(book->Find(done), nullptr) << "a restarted broker loaded a job past --retain";
  ASSERT_NE(book->Find(active), nullptr);
  EXPECT_EQ(book->queued(), 1u);
  ASSERT_TRUE(book->LoadStored(done).ok());
  EXPECT_EQ(book->LoadStored(done)->chunks_failed, 1u);

  auto keep_all = Open(/*retain_ms=*/-1);
  EXPECT_NE(keep_all->Find(done), nullptr) << "retain < 0 keeps every job";
}

TEST_F(JobBookTest, PurgeDeletesOldJobsAndTheirSpool) {
  auto book = Open();
  std::string old_job = AddJob(*book, 2);
  Finish(*book, old_job, 2);
  clock_.Advance(kDayMs);
  std::string cancelled = AddJob(*book, 2);
  ASSERT_TRUE(book->Cancel(cancelled, "test").ok());
  std::string active = AddJob(*book, 2);
  // The spool of an ended job is normally gone already; leave a file where it was, as an
  // older broker or a failed removal would, to see the purge remove it.
  std::filesystem::create_directories(dir_ / "spool" / old_job);
  std::ofstream(dir_ / "spool" / old_job / "stale") << "x";

  clock_.Advance(6 * kDayMs);  // old_job ended 7 days ago, `cancelled` 6 days ago
  Result<std::vector<std::string>> purged = book->Purge(7 * kDayMs, 100);
  ASSERT_TRUE(purged.ok()) << purged.status().ToString();
  EXPECT_EQ(*purged, std::vector<std::string>{old_job});
  EXPECT_EQ(book->LoadStored(old_job).status().code(), Status::Code::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "spool" / old_job));
  EXPECT_TRUE(book->LoadStored(cancelled).ok());
  EXPECT_NE(book->Find(active), nullptr);

  clock_.Advance(kDayMs);
  purged = book->Purge(7 * kDayMs, 100);
  ASSERT_TRUE(purged.ok());
  EXPECT_EQ(*purged, std::vector<std::string>{cancelled});
  EXPECT_NE(book->Find(active), nullptr) << "an active job is never purged";
  EXPECT_EQ(Open()->LoadStored(cancelled).status().code(), Status::Code::kNotFound);
}

TEST_F(JobBookTest, LossesAndPoisonEvidenceSurviveReopen) {
  std::string id;
  {
    auto book = Open();
    id = AddJob(*book, 2);
    ChunkRecord* chunk = book->FindChunk(ChunkKey{id, 1});
    chunk->attempts = 4;
    chunk->losses = 3;
    chunk->deaths = "worker2,worker5";
    ASSERT_TRUE(book->SaveAttempts(*chunk).ok());
  }
  auto book = Open();
  const ChunkRecord* chunk = book->FindChunk(ChunkKey{id, 1});
  ASSERT_NE(chunk, nullptr);
  EXPECT_EQ(chunk->attempts, 4u);
  EXPECT_EQ(chunk->failures, 0u) << "a loss is not a failure";
  EXPECT_EQ(chunk->losses, 3u);
  EXPECT_EQ(chunk->deaths, "worker2,worker5");
}

}  // namespace
}  // namespace sieve
