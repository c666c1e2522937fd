#include "classifier/fault_injector.h"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <thread>

namespace sieve::classifier {
namespace {

std::map<Fault, int> Tally(FaultInjector& injector, int n) {
  std::map<Fault, int> counts;
  for (int i = 0; i < n; ++i) ++counts[injector.Decide().fault];
  return counts;
}

TEST(FaultInjectorTest, OffByDefault) {
  FaultInjector injector(FaultOptions{});
  for (int i = 0; i < 1000; ++i) {
    const FaultDecision d = injector.Decide();
    ASSERT_EQ(d.fault, Fault::kNone);
    ASSERT_EQ(d.delay.count(), 0);
  }
}

TEST(FaultInjectorTest, RateOneAlwaysFires) {
  FaultOptions options;
  options.overload_rate = 1.0;
  FaultInjector injector(options);
  EXPECT_EQ(Tally(injector, 500)[Fault::kOverload], 500);
}

TEST(FaultInjectorTest, RatesAreRoughlyHonored) {
  FaultOptions options;
  options.fail_rate = 0.2;
  options.garbage_rate = 0.1;
  options.hang_rate = 0.05;
  FaultInjector injector(options);
  auto counts = Tally(injector, 20000);
  EXPECT_NEAR(counts[Fault::kFail], 4000, 400);
  EXPECT_NEAR(counts[Fault::kGarbage], 2000, 300);
  EXPECT_NEAR(counts[Fault::kHang], 1000, 200);
  EXPECT_EQ(counts[Fault::kOverload], 0);
}

TEST(FaultInjectorTest, SameSeedSameSequence) {
  FaultOptions options;
  options.fail_rate = 0.5;
  options.jitter_ms = 50;
  options.latency_ms = 10;
  options.seed = 99;
  FaultInjector a(options), b(options);
  options.seed = 100;
  FaultInjector c(options);
  bool differs = false;
  for (int i = 0; i < 200; ++i) {
    const FaultDecision da = a.Decide(), db = b.Decide(), dc = c.Decide();
    ASSERT_EQ(da.fault, db.fault);
    ASSERT_EQ(da.delay, db.delay);
    ASSERT_GE(da.delay.count(), 10);
    ASSERT_LE(da.delay.count(), 60);
    differs = differs || da.fault != dc.fault || da.delay != dc.delay;
  }
  EXPECT_TRUE(differs);
}

TEST(FaultInjectorTest, ValidateRejectsBadRates) {
  FaultOptions options;
  EXPECT_TRUE(options.Validate().ok());
  options.fail_rate = -0.1;
  EXPECT_FALSE(options.Validate().ok());
  options.fail_rate = 0.7;
  options.overload_rate = 0.7;
  EXPECT_FALSE(options.Validate().ok());
  options.overload_rate = 0.3;
  EXPECT_TRUE(options.Validate().ok());
  options.garbage_rate = 1.5;
  EXPECT_FALSE(options.Validate().ok());
}

}  // namespace
}  // namespace sieve::classifier

namespace sieve::classifier {
namespace {

TEST(FaultInjectorTest, FailFirstMsFailsEverythingThenNothing) {
  FaultOptions options;
  options.fail_first_ms = 300;
  FaultInjector injector(options);
  for (int i = 0; i < 50; ++i) ASSERT_EQ(injector.Decide().fault, Fault::kFail);
  std::this_thread::sleep_for(std::chrono::milliseconds(350));
  for (int i = 0; i < 50; ++i) ASSERT_EQ(injector.Decide().fault, Fault::kNone);
}

}  // namespace
}  // namespace sieve::classifier
