// QuotaService on a fake clock: jobs map to keys, a restarted service waits one TTL, grants
// stay within rate + burst, a 429 voids the permits other workers hold, unlimited keys say so,
// and the --limit flag parses.
#include "broker/quota_service.h"

#include <gtest/gtest.h>

#include "common/clock.h"

namespace sieve {
namespace {

constexpr char kJobA[] = "j00000000000000a1";
constexpr char kJobB[] = "j00000000000000b2";

proto::JobSpec Spec(std::string rate, std::string key = "") {
  proto::JobSpec spec;
  spec.endpoint = "http://model/classify";
  spec.rate = std::move(rate);
  spec.limit_key = std::move(key);
  return spec;
}

proto::PermitAsk Ask(const std::string& job, uint32_t want) {
  proto::PermitAsk ask;
  ask.job_id = job;
  ask.want = want;
  ask.tokens_each = 10;
  return ask;
}

TEST(QuotaServiceTest, GrantsNothingForOneTtlThenNoMoreThanRatePlusBurst) {
  FakeClock clock;
  QuotaService quota(clock, QuotaOptions{}, {});
  ASSERT_TRUE(quota.Join(kJobA, Spec("600/min")).ok());  // 10/s
  EXPECT_EQ(quota.Ask("w1", Ask(kJobA, 100)).count, 0u) << "a new broker waits one TTL";
  uint64_t granted = 0;
  for (int ms = 0; ms < 60'000; ms += 50) {
    clock.Advance(50);
    granted += quota.Ask(ms % 100 == 0 ? "w1" : "w2", Ask(kJobA, 100)).count;
  }
  EXPECT_LE(granted, 600u + 10u);
  EXPECT_GE(granted, 560u);
  std::vector<proto::LimitInfo> limits = quota.Limits();
  ASSERT_EQ(limits.size(), 1u);
  EXPECT_EQ(limits[0].key, kJobA);
  EXPECT_EQ(limits[0].rate, "600/min");
}

TEST(QuotaServiceTest, A429PausesTheKeyAndVoidsOtherWorkersPermits) {
  FakeClock clock;
  QuotaService quota(clock, QuotaOptions{}, {});
  ASSERT_TRUE(quota.Join(kJobA, Spec("600/min", "shared")).ok());
  ASSERT_TRUE(quota.Join(kJobB, Spec("600/min", "shared")).ok());
  clock.Advance(3000);
  ASSERT_GT(quota.Ask("w1", Ask(kJobA, 5)).count, 0u);
  ASSERT_GT(quota.Ask("w2", Ask(kJobB, 5)).count, 0u);
  proto::RateLimited report;
  report.job_id = kJobA;
  report.http_status = 429;
  report.retry_after_ms = 3000;
  auto voids = quota.RateLimited("w1", report);
  ASSERT_EQ(voids.size(), 1u) << "w2 holds permits of a job on the same key; w1 reported";
  EXPECT_EQ(voids[0].first, "w2");
  EXPECT_EQ(voids[0].second.job_id, kJobB);
  EXPECT_EQ(voids[0].second.paused_ms, 3000u);
  proto::PermitGrant during = quota.Ask("w2", Ask(kJobB, 5));
  EXPECT_EQ(during.count, 0u);
  EXPECT_GT(during.paused_ms, 0u);
  clock.Advance(3000);
  uint64_t first_second = 0;
  for (int i = 0; i < 20; ++i) {
    clock.Advance(50);
    first_second += quota.Ask("w1", Ask(kJobA, 50)).count + quota.Ask("w2", Ask(kJobB, 50)).count;
  }
  EXPECT_LE(first_second, 10u) << "after a pause the key refills from empty";
  EXPECT_EQ(quota.Limits()[0].pauses, 1u);
}

TEST(QuotaServiceTest, OperatorCapWinsAndUnlimitedKeysSaySo) {
  FakeClock clock;
  auto cap = ParseLimitFlag("openai=60/min,tokens=1000/min");
  ASSERT_TRUE(cap.ok());
  QuotaService quota(clock, QuotaOptions{}, {{cap->first, cap->second}});
  ASSERT_TRUE(quota.Join(kJobA, Spec("6000/min", "openai")).ok());
  ASSERT_TRUE(quota.Join(kJobB, Spec("", "free")).ok());
  clock.Advance(10'000);
  EXPECT_LE(quota.Ask("w1", Ask(kJobA, 100)).count, 1u) << "the cap, 1/s, not the job's 100/s";
  proto::PermitGrant free = quota.Ask("w1", Ask(kJobB, 7));
  EXPECT_EQ(free.count, 7u);
  EXPECT_EQ(free.unlimited, 1u);
  quota.Leave(kJobB);
  EXPECT_EQ(quota.Ask("w1", Ask(kJobB, 7)).count, 0u) << "an ended job gets nothing";
}

TEST(QuotaServiceTest, ParsesTheLimitFlagAndRefusesBadOnes) {
  auto both = ParseLimitFlag("k=600/min,tokens=90000/min");
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->first, "k");
  EXPECT_DOUBLE_EQ(both->second.requests->per_second, 10);
  EXPECT_DOUBLE_EQ(both->second.tokens->per_second, 1500);
  EXPECT_TRUE(ParseLimitFlag("k=tokens=100/s")->second.tokens.has_value());
  for (const char* bad : {"k", "=600/min", "k=", "k=600", "k=600/min,600/min", "k=600/min,"}) {
    EXPECT_FALSE(ParseLimitFlag(bad).ok()) << bad;
  }
  EXPECT_FALSE(LimitsOfSpec(Spec("fast")).ok());
}

}  // namespace
}  // namespace sieve
