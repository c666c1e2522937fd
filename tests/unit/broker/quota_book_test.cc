// QuotaBook and TokenBucket on a fake clock: the rate bound with its burst, restart safety,
// fair shares between jobs on one key, pauses after a 429, operator caps, and token
// corrections, each simulated over minutes of fake time in milliseconds.
#include "broker/quota_book.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "broker/token_bucket.h"
#include "common/clock.h"

namespace sieve {
namespace {

constexpr int64_t kTtlMs = 2000;

QuotaLimits Requests(double per_minute) { return QuotaLimits{Rate{per_minute / 60}, {}}; }

TEST(TokenBucketTest, StartsEmptyRefillsAtItsRateAndHoldsAtMostTheBurst) {
  TokenBucket bucket(10, 5, 0);
  EXPECT_EQ(bucket.Take(100, 0), 0u);
  EXPECT_EQ(bucket.Take(100, 300), 3u);
  EXPECT_EQ(bucket.Take(100, 10'000), 5u) << "a long idle time fills only up to the burst";
  bucket.Debit(7, 10'000);
  EXPECT_EQ(bucket.Take(1, 10'500), 0u) << "a debt is paid back before anything is taken";
  EXPECT_EQ(bucket.Take(10, 11'000), 3u);
  bucket.EmptyAt(20'000);
  EXPECT_EQ(bucket.Take(10, 20'000), 0u);
  EXPECT_EQ(bucket.Take(10, 20'200), 2u) << "refills only from the moment it was emptied";
}

// Simulates `workers` workers asking for `want` permits every `step_ms` for `duration_ms`,
// for the jobs in `jobs` in turn; returns the requests granted per job.
std::map<std::string, uint64_t> Simulate(QuotaBook& book, FakeClock& clock,
                                         const std::string& key,
                                         const std::vector<std::string>& jobs, int workers,
                                         uint64_t want, int64_t step_ms, int64_t duration_ms) {
  std::map<std::string, uint64_t> granted;
  for (int64_t t = 0; t < duration_ms; t += step_ms) {
    for (int w = 0; w < workers; ++w) {
      const std::string& job = jobs[static_cast<size_t>(w) % jobs.size()];
      granted[job] += book.Ask(key, job, want, 0).requests;
    }
    clock.Advance(step_ms);
  }
  return granted;
}

TEST(QuotaBookTest, GrantsNothingForOnePermitLifetimeAfterStartThenNeverMoreThanTheRate) {
  FakeClock clock;
  QuotaOptions options;
  options.permit_ttl_ms = kTtlMs;
  QuotaBook book(clock, options);
  book.Join("openai", "j1", Requests(1200));  // 20/s, burst 20
  EXPECT_EQ(book.Ask("openai", "j1", 10, 0).requests, 0u);
  clock.Advance(kTtlMs - 1);
  EXPECT_EQ(book.Ask("openai", "j1", 10, 0).requests, 0u)
      << "a restarted broker waits until permits of its previous life have expired";
  clock.Advance(1);
  // 32 workers asking for 64 each every 10 ms, for 60 s: far more than the quota.
  auto granted = Simulate(book, clock, "openai", {"j1"}, 32, 64, 10, 60'000);
  // Buckets start empty: over 60 s, at most 60 s of rate (no burst was ever saved up).
  EXPECT_LE(granted["j1"], 1200u);
  EXPECT_GE(granted["j1"], 1190u);
}

TEST(QuotaBookTest, AnIdleKeySavesUpOnlyItsBurst) {
  FakeClock clock;
  QuotaBook book(clock, {.permit_ttl_ms = kTtlMs});
  book.Join("k", "j1", Requests(600));  // 10/s, burst 10
  clock.Advance(60'000);
  EXPECT_EQ(book.Ask("k", "j1", 1000, 0).requests, 10u);
}

TEST(QuotaBookTest, TwoJobsOnOneKeyGetHalfEachAndOneAloneGetsAll) {
  FakeClock clock;
  QuotaBook book(clock, {.permit_ttl_ms = kTtlMs});
  book.Join("shared", "a", Requests(1200));
  book.Join("shared", "b", Requests(1200));
  clock.Advance(kTtlMs);
  auto both = Simulate(book, clock, "shared", {"a", "b"}, 8, 16, 10, 60'000);
  uint64_t total = both["a"] + both["b"];
  EXPECT_LE(total, 1200u);
  EXPECT_NEAR(static_cast<double>(both["a"]), total / 2.0, total * 0.05);
  EXPECT_NEAR(static_cast<double>(both["b"]), total / 2.0, total * 0.05);
  // Job b ends: after the activity window, a alone gets (nearly) the whole rate.
  book.Leave("shared", "b");
  auto alone = Simulate(book, clock, "shared", {"a"}, 8, 16, 10, 60'000);
  EXPECT_GE(alone["a"], 1150u);
  EXPECT_LE(alone["a"], 1200u + 20u);
}

TEST(QuotaBookTest, AJobThatStopsAskingLeavesItsShareToTheOthers) {
  FakeClock clock;
  QuotaBook book(clock, {.permit_ttl_ms = kTtlMs, .active_window_ms = 4000});
  book.Join("k", "a", Requests(1200));
  book.Join("k", "b", Requests(1200));
  clock.Advance(kTtlMs);
  Simulate(book, clock, "k", {"a", "b"}, 2, 16, 10, 10'000);
  // b goes quiet (its chunks are all in flight, say) without leaving.
  auto a_only = Simulate(book, clock, "k", {"a"}, 2, 16, 10, 60'000);
  EXPECT_GE(a_only["a"], 1100u);
}

TEST(QuotaBookTest, ARateLimitPausesTheKeyThenResumesFromNothing) {
  FakeClock clock;
  QuotaBook book(clock, {.permit_ttl_ms = kTtlMs});
  book.Join("k", "j", Requests(1200));
  clock.Advance(10'000);
  ASSERT_GT(book.Ask("k", "j", 100, 0).requests, 0u);
  EXPECT_TRUE(book.RateLimited("k", 5000));
  EXPECT_FALSE(book.RateLimited("k", 1000)) << "a shorter pause does not extend it";
  PermitGrant paused = book.Ask("k", "j", 100, 0);
  EXPECT_EQ(paused.requests, 0u);
  EXPECT_EQ(paused.paused_until_ms, clock.NowMs() + 5000);
  clock.Advance(4999);
  EXPECT_EQ(book.Ask("k", "j", 100, 0).requests, 0u);
  clock.Advance(1);
  EXPECT_EQ(book.Ask("k", "j", 100, 0).requests, 0u) << "resumes from an empty bucket";
  auto after = Simulate(book, clock, "k", {"j"}, 4, 100, 10, 1000);
  EXPECT_LE(after["j"], 20u) << "the first second after a pause grants at most a second of rate";
  std::vector<QuotaKeyStatus> status = book.Status();
  ASSERT_EQ(status.size(), 1u);
  EXPECT_EQ(status[0].pauses, 1u);
  EXPECT_EQ(status[0].rate_limited, 2u);
}

TEST(QuotaBookTest, AProviderWithNothingRemainingPausesUntilItsReset) {
  FakeClock clock;
  QuotaBook book(clock, {.permit_ttl_ms = kTtlMs});
  book.Join("k", "j", Requests(6000));
  clock.Advance(10'000);
  EXPECT_FALSE(book.ProviderRemaining("k", 3, 0));
  EXPECT_EQ(book.Ask("k", "j", 100, 0).requests, 3u) << "capped at what the provider has left";
  EXPECT_TRUE(book.ProviderRemaining("k", 0, 7000));
  EXPECT_EQ(book.Ask("k", "j", 100, 0).paused_until_ms, clock.NowMs() + 7000);
  EXPECT_EQ(book.Status()[0].rate_limited, 0u) << "no 429 was seen";
}

TEST(QuotaBookTest, TheOperatorsCapBindsWhateverTheJobAsks) {
  FakeClock clock;
  QuotaBook book(clock, {.permit_ttl_ms = kTtlMs});
  book.SetCap("openai", Requests(600));
  book.Join("openai", "greedy", Requests(100'000));
  book.Join("openai", "unstated", {});
  clock.Advance(kTtlMs);
  auto granted = Simulate(book, clock, "openai", {"greedy", "unstated"}, 4, 50, 10, 60'000);
  EXPECT_LE(granted["greedy"] + granted["unstated"], 600u);
  EXPECT_GE(granted["greedy"] + granted["unstated"], 580u);
  std::vector<QuotaKeyStatus> status = book.Status();
  ASSERT_EQ(status.size(), 1u);
  EXPECT_DOUBLE_EQ(status[0].limits.requests->per_second, 10);
  EXPECT_NEAR(status[0].requests_per_second, 10, 0.5);
}

TEST(QuotaBookTest, AKeyWithoutAnyLimitNeedsNoPermitsAndIsForgottenWhenItsJobsEnd) {
  FakeClock clock;
  QuotaBook book(clock, {.permit_ttl_ms = kTtlMs});
  book.Join("free", "j", {});
  EXPECT_FALSE(book.Limited("free"));
  EXPECT_EQ(book.Ask("free", "j", 64, 0).requests, 64u);
  book.Leave("free", "j");
  EXPECT_TRUE(book.Status().empty());
  book.SetCap("capped", Requests(60));
  book.Join("capped", "j", {});
  book.Leave("capped", "j");
  EXPECT_TRUE(book.Limited("capped")) << "an operator's cap outlives its jobs";
}

TEST(QuotaBookTest, TokenCorrectionsMakeTheTokenRateConvergeOnUsage) {
  FakeClock clock;
  QuotaBook book(clock, {.permit_ttl_ms = kTtlMs});
  // 60,000 tokens/min = 1000/s; requests estimated at 100 tokens but really using 200.
  book.Join("k", "j", QuotaLimits{{}, Rate{1000}});
  clock.Advance(kTtlMs);
  uint64_t used = 0;
  for (int64_t t = 0; t < 60'000; t += 10) {
    PermitGrant grant = book.Ask("k", "j", 8, 100);
    used += grant.requests * 200;
    book.CorrectTokens("k", static_cast<int64_t>(grant.requests) * 100);
    clock.Advance(10);
  }
  EXPECT_LE(used, 60'000u + 1000u);
  EXPECT_GE(used, 55'000u);
}

}  // namespace
}  // namespace sieve
