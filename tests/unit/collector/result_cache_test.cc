#include "collector/result_cache.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "proto/cache_messages.h"

namespace sieve {
namespace {

std::string Fp(int i) { return ToHex(Sha256("row " + std::to_string(i))); }

class ResultCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("result_cache_" + std::string(::testing::UnitTest::GetInstance()
                                              ->current_test_info()
                                              ->name()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  std::unique_ptr<ResultCache> Open(uint64_t max_bytes = uint64_t{1} << 30) {
    ResultCacheOptions o;
    o.path = (dir_ / "cache.db").string();
    o.max_bytes = max_bytes;
    o.clock = &clock_;
    o.claim_ttl_ms = 30'000;
    auto cache = ResultCache::Open(o);
    EXPECT_TRUE(cache.ok()) << cache.status().ToString();
    return std::move(cache).value();
  }
  std::filesystem::path dir_;
  FakeClock clock_;
};

TEST_F(ResultCacheTest, MissClaimsThenFillHitsAndSurvivesReopen) {
  auto cache = Open();
  auto first = cache->Lookup("local", "j/0", {Fp(1), Fp(2)});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->answers, "cc");
  ASSERT_TRUE(cache->Fill("local", {Fp(1)}, {"spam"}, {Fp(2)}).ok());
  auto second = cache->Lookup("local", "j/1", {Fp(1), Fp(2)});
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->answers, "hc");  // 2 was released (an error): the new asker claims it
  EXPECT_EQ(second->labels, std::vector<std::string>{"spam"});
  EXPECT_EQ(cache->counters().hits, 1u);
  cache.reset();
  cache = Open();
  EXPECT_EQ(cache->total_entries(), 1u);
  auto third = cache->Lookup("local", "j/2", {Fp(1)});
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->answers, "h");
  EXPECT_EQ(third->labels[0], "spam");
}

TEST_F(ResultCacheTest, AnotherOwnerWaitsUntilFillOrClaimExpiry) {
  auto cache = Open();
  EXPECT_EQ(cache->Lookup("local", "j/0", {Fp(1), Fp(2)})->answers, "cc");
  EXPECT_EQ(cache->Lookup("local", "j/1", {Fp(1), Fp(2)})->answers, "ww");
  EXPECT_EQ(cache->Lookup("local", "j/0", {Fp(1)})->answers, "c");  // owner renews
  ASSERT_TRUE(cache->Fill("local", {Fp(1)}, {"ham"}, {}).ok());
  EXPECT_EQ(cache->Lookup("local", "j/1", {Fp(1), Fp(2)})->answers, "hw");
  clock_.Advance(30'001);  // the claimer died: its claim passes to the next asker
  EXPECT_EQ(cache->Lookup("local", "j/1", {Fp(2)})->answers, "c");
  EXPECT_EQ(cache->counters().waits, 3u);
}

TEST_F(ResultCacheTest, NamespacesDoNotSeeEachOther) {
  auto cache = Open();
  (void)cache->Lookup("client:A", "j/0", {Fp(1)});
  ASSERT_TRUE(cache->Fill("client:A", {Fp(1)}, {"secret-label"}, {}).ok());
  EXPECT_EQ(cache->Lookup("client:B", "k/0", {Fp(1)})->answers, "c");
  EXPECT_EQ(cache->Lookup("client:A", "j/1", {Fp(1)})->answers, "h");
  EXPECT_EQ(cache->StatsOf({"client:B"})->entries, 0u);
  EXPECT_EQ(cache->StatsOf({"client:A"})->entries, 1u);
  EXPECT_EQ(*cache->Clear({"client:B"}, 0), 0u);
  EXPECT_EQ(cache->total_entries(), 1u);
}

TEST_F(ResultCacheTest, StaysWithinMaxBytesEvictingLeastRecentlyUsed) {
  const uint64_t max = 50 * (ResultCache::kEntryOverhead + 8);
  auto cache = Open(max);
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(cache->Fill("local", {Fp(i)}, {"label-" + std::to_string(i % 10)}, {}).ok());
    if (i == 5) {
      clock_.Advance(1);
      (void)cache->Lookup("local", "j/0", {Fp(0)});  // 0 is used again: it stays
    }
    clock_.Advance(1);
    EXPECT_LE(cache->total_bytes(), max);
  }
  EXPECT_GT(cache->counters().evictions, 100u);
  EXPECT_EQ(cache->Lookup("local", "j/0", {Fp(199)})->answers, "h");
  EXPECT_EQ(cache->Lookup("local", "j/0", {Fp(1)})->answers, "c");
  // Reopened with a smaller bound, it shrinks at once.
  cache.reset();
  cache = Open(max / 2);
  EXPECT_LE(cache->total_bytes(), max / 2);
  EXPECT_EQ(cache->StatsOf({"local"})->bytes, cache->total_bytes());
}

// Hits update last_used_ms, so a fully cached re-run writes pages on every lookup. A statement
// left on a row at COMMIT kept the WAL pinned: it grew by every lookup's pages (4.3 GB over a
// 1,000,000-row re-run). Each lookup of all 5000 entries dirties ~200 pages, so 30 of them
// leave ~25 MB of WAL when it is pinned, and at most ~5 MB (the auto-checkpoint's 1000 pages
// plus one transaction) when it is not.
TEST_F(ResultCacheTest, WalStaysBoundedOverManyHitLookups) {
  auto cache = Open();
  std::vector<std::string> keys;
  for (int i = 0; i < 5000; ++i) keys.push_back(Fp(i));
  ASSERT_TRUE(cache->Fill("local", keys, std::vector<std::string>(keys.size(), "news"), {}).ok());
  for (int round = 0; round < 30; ++round) {
    clock_.Advance(10);
    auto answers = cache->Lookup("local", "j/" + std::to_string(round), keys);
    ASSERT_TRUE(answers.ok());
    ASSERT_EQ(answers->labels.size(), keys.size());
  }
  const auto wal = dir_ / "cache.db-wal";
  ASSERT_TRUE(std::filesystem::exists(wal));
  EXPECT_LT(std::filesystem::file_size(wal), uint64_t{12} << 20);
}

TEST_F(ResultCacheTest, FirstAnswerStaysAndBadKeysAreNotCached) {
  auto cache = Open();
  ASSERT_TRUE(cache->Fill("local", {Fp(1)}, {"first"}, {}).ok());
  ASSERT_TRUE(cache->Fill("local", {Fp(1)}, {"second"}, {}).ok());
  EXPECT_EQ(cache->Lookup("local", "j/0", {Fp(1)})->labels[0], "first");
  ASSERT_TRUE(cache->Fill("local", {"nothex", std::string(64, '0')}, {"x", "y"}, {}).ok());
  ASSERT_TRUE(cache->Fill("local", {Fp(2)}, {std::string(5000, 'L')}, {}).ok());  // too long
  EXPECT_EQ(cache->total_entries(), 1u);
  EXPECT_EQ(cache->Lookup("local", "j/0", {"nothex"})->answers, "c");
  EXPECT_FALSE(cache->Fill("local", {Fp(3)}, {}, {}).ok());
}

TEST_F(ResultCacheTest, ClearOlderThanKeepsRecentEntries) {
  auto cache = Open();
  ASSERT_TRUE(cache->Fill("local", {Fp(1)}, {"old"}, {}).ok());
  clock_.Advance(10'000);
  ASSERT_TRUE(cache->Fill("local", {Fp(2)}, {"new"}, {}).ok());
  EXPECT_EQ(*cache->Clear({"local"}, clock_.WallMs() - 5'000), 1u);
  EXPECT_EQ(cache->Lookup("local", "j/0", {Fp(1), Fp(2)})->answers, "ch");
  EXPECT_EQ(*cache->Clear({"local"}, 0), 1u);
  EXPECT_EQ(cache->total_entries(), 0u);
  EXPECT_EQ(cache->total_bytes(), 0u);
}

TEST_F(ResultCacheTest, LargeAnswersAreSplitIntoAskAgain) {
  auto cache = Open();
  std::vector<std::string> fps;
  std::vector<std::string> labels;
  for (int i = 0; i < 200; ++i) {
    fps.push_back(Fp(i));
    labels.push_back(std::string(4000, static_cast<char>('a' + i % 26)));
  }
  ASSERT_TRUE(cache->Fill("local", fps, labels, {}).ok());
  auto answer = cache->Lookup("local", "j/0", fps);
  ASSERT_TRUE(answer.ok());
  size_t hits = std::count(answer->answers.begin(), answer->answers.end(), proto::kCacheHit);
  size_t again = std::count(answer->answers.begin(), answer->answers.end(), proto::kCacheAskAgain);
  EXPECT_EQ(hits + again, 200u);
  EXPECT_GT(again, 0u);
  EXPECT_EQ(answer->labels.size(), hits);
}

}  // namespace
}  // namespace sieve
