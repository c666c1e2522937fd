#include "broker/lease_table.h"

#include <gtest/gtest.h>

namespace sieve {
namespace {

Lease MakeLease(const std::string& job, uint64_t chunk, uint32_t attempt, const std::string& w,
                int64_t deadline) {
  return Lease{ChunkKey{job, chunk}, attempt, w, deadline - 100, deadline};
}

TEST(LeaseTableTest, RenewOnlyMatchingAttemptAndWorker) {
  LeaseTable t;
  t.Grant(MakeLease("a", 0, 1, "w1", 1000));
  EXPECT_FALSE(t.Renew({"a", 0}, 2, "w1", 5000));
  EXPECT_FALSE(t.Renew({"a", 0}, 1, "w2", 5000));
  EXPECT_FALSE(t.Renew({"a", 1}, 1, "w1", 5000));
  EXPECT_TRUE(t.Renew({"a", 0}, 1, "w1", 5000));
  EXPECT_EQ(t.Find({"a", 0})->deadline_ms, 5000);
}

TEST(LeaseTableTest, ExpiryTakesOnlyPastDeadlines) {
  LeaseTable t;
  t.Grant(MakeLease("a", 0, 1, "w1", 1000));
  t.Grant(MakeLease("a", 1, 1, "w1", 2000));
  t.Grant(MakeLease("b", 0, 3, "w2", 1500));
  auto expired = t.TakeExpired(1500);
  ASSERT_EQ(expired.size(), 2u);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_TRUE(t.Find({"a", 1}).has_value());
  EXPECT_TRUE(t.TakeExpired(1999).empty());
}

TEST(LeaseTableTest, TakeByWorkerAndJob) {
  LeaseTable t;
  t.Grant(MakeLease("a", 0, 1, "w1", 1000));
  t.Grant(MakeLease("a", 1, 1, "w2", 1000));
  t.Grant(MakeLease("b", 0, 1, "w1", 1000));
  EXPECT_EQ(t.CountByWorker("w1"), 2u);
  EXPECT_EQ(t.TakeByWorker("w1").size(), 2u);
  EXPECT_EQ(t.CountByWorker("w1"), 0u);
  EXPECT_EQ(t.TakeByJob("a").size(), 1u);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_FALSE(t.OldestGrantMs().has_value());
}

TEST(LeaseTableTest, RemoveAndOldest) {
  LeaseTable t;
  t.Grant(MakeLease("a", 0, 1, "w1", 1000));
  t.Grant(MakeLease("a", 1, 1, "w1", 700));
  EXPECT_EQ(*t.OldestGrantMs(), 600);
  EXPECT_TRUE(t.Remove({"a", 1}).has_value());
  EXPECT_FALSE(t.Remove({"a", 1}).has_value());
  EXPECT_EQ(*t.OldestGrantMs(), 900);
}

}  // namespace
}  // namespace sieve
