#include "broker/duration.h"

#include <gtest/gtest.h>

namespace sieve {
namespace {

TEST(DurationTest, UnitsAndNever) {
  EXPECT_EQ(*ParseDuration("90"), 90'000);
  EXPECT_EQ(*ParseDuration("90s"), 90'000);
  EXPECT_EQ(*ParseDuration("250ms"), 250);
  EXPECT_EQ(*ParseDuration("15m"), 900'000);
  EXPECT_EQ(*ParseDuration("1h"), 3'600'000);
  EXPECT_EQ(*ParseDuration("7d"), 604'800'000);
  EXPECT_EQ(*ParseDuration("0s"), 0);
  EXPECT_EQ(*ParseDuration("never"), -1);
}

TEST(DurationTest, RefusesWhatIsNotADuration) {
  for (const char* bad : {"", "h", "1x", "-5s", "1.5h", "1 h", "99999999999999999d"}) {
    Result<int64_t> d = ParseDuration(bad);
    EXPECT_FALSE(d.ok()) << bad;
    if (!d.ok()) {
      EXPECT_NE(d.status().message().find("not a duration"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace sieve
