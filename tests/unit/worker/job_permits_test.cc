// JobPermits on a fake clock: never ready without a permit, asks ahead with one ask in flight,
// permits expire, PERMITS_VOID and a 429 drop them, a 429 is reported once per pause, and
// token usage is reported against what the permits charged.
#include "worker/job_permits.h"

#include <gtest/gtest.h>

#include <vector>

#include "common/clock.h"

namespace sieve {
namespace {

constexpr char kJob[] = "j00000000000000a1";

struct Gate {
  FakeClock clock;
  std::vector<proto::Message> sent;
  PermitCounters counters;
  JobPermits permits{kJob, clock, [this](proto::Message m) { sent.push_back(std::move(m)); },
                     8, 100, &counters};

  proto::PermitGrant Grant(uint32_t count, uint64_t tokens = 0) {
    proto::PermitGrant g;
    g.job_id = kJob;
    g.count = count;
    g.tokens = tokens;
    g.ttl_ms = 2000;
    return g;
  }
  size_t Asks() const {
    size_t n = 0;
    for (const auto& m : sent) n += std::holds_alternative<proto::PermitAsk>(m) ? 1 : 0;
    return n;
  }
};

TEST(JobPermitsTest, NeverReadyWithoutAPermitAndAsksOnceAtATime) {
  Gate g;
  EXPECT_FALSE(g.permits.Ready());
  EXPECT_FALSE(g.permits.Ready());
  ASSERT_EQ(g.Asks(), 1u) << "one ask in flight";
  EXPECT_EQ(std::get<proto::PermitAsk>(g.sent[0]).want, 8u);
  EXPECT_EQ(std::get<proto::PermitAsk>(g.sent[0]).tokens_each, 100u);
  g.permits.OnGrant(g.Grant(2));
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(g.permits.Ready());
    g.permits.Take();
  }
  EXPECT_FALSE(g.permits.Ready());
  EXPECT_EQ(g.counters.waits, 2u);
  g.clock.Advance(1500);
  EXPECT_FALSE(g.permits.Ready());
  EXPECT_GE(g.Asks(), 2u) << "asked again after the grant";
}

TEST(JobPermitsTest, AsksAheadAndPermitsExpire) {
  Gate g;
  g.permits.Ready();
  g.permits.OnGrant(g.Grant(8));
  ASSERT_TRUE(g.permits.Ready());
  EXPECT_EQ(g.Asks(), 1u) << "holding all it wants: no ask";
  for (int i = 0; i < 5; ++i) g.permits.Take();
  g.permits.Ready();
  EXPECT_EQ(g.Asks(), 2u) << "below half of want: asks ahead";
  g.clock.Advance(1801);
  EXPECT_FALSE(g.permits.Ready()) << "permits void after 90 % of their TTL";
}

TEST(JobPermitsTest, A429DropsPermitsPausesAndIsReportedOncePerPause) {
  Gate g;
  g.permits.Ready();
  g.permits.OnGrant(g.Grant(8));
  RateLimitSignal signal;
  signal.http_status = 429;
  signal.retry_after_ms = 3000;
  g.permits.OnRateLimited(signal);
  g.permits.OnRateLimited(signal);
  size_t reports = 0;
  for (const auto& m : g.sent) reports += std::holds_alternative<proto::RateLimited>(m) ? 1 : 0;
  EXPECT_EQ(reports, 1u);
  EXPECT_FALSE(g.permits.Ready());
  size_t asks = g.Asks();
  g.clock.Advance(2000);
  g.permits.Ready();
  EXPECT_EQ(g.Asks(), asks) << "no ask during the pause";
  g.clock.Advance(1100);
  g.permits.Ready();
  EXPECT_EQ(g.Asks(), asks + 1);
  EXPECT_EQ(g.counters.rate_limited, 2u);
}

TEST(JobPermitsTest, VoidDropsPermitsAndUsageIsReportedAgainstTheCharge) {
  Gate g;
  g.permits.Ready();
  g.permits.OnGrant(g.Grant(4, 400));
  ASSERT_TRUE(g.permits.Ready());
  g.permits.Take();
  g.permits.OnUsage(130);
  proto::PermitsVoid v;
  v.job_id = kJob;
  v.paused_ms = 500;
  g.permits.OnVoid(v);
  EXPECT_FALSE(g.permits.Ready());
  g.clock.Advance(600);
  g.permits.Ready();
  const auto& ask = std::get<proto::PermitAsk>(g.sent.back());
  EXPECT_EQ(ask.tokens_actual, 130u);
  EXPECT_EQ(ask.tokens_charged, 100u);
}

TEST(JobPermitsTest, AnUnlimitedKeyNeedsNoMorePermits) {
  Gate g;
  g.permits.Ready();
  proto::PermitGrant grant = g.Grant(8);
  grant.unlimited = 1;
  g.permits.OnGrant(grant);
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(g.permits.Ready());
    g.permits.Take();
  }
  EXPECT_EQ(g.Asks(), 1u);
}

}  // namespace
}  // namespace sieve
