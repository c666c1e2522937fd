#include "common/rate.h"

#include <gtest/gtest.h>

namespace sieve {
namespace {

TEST(RateTest, ParsesCountPerUnit) {
  struct Case {
    const char* text;
    double per_second;
  } cases[] = {{"600/min", 10},  {"10/s", 10},      {"1/h", 1.0 / 3600}, {"90000/min", 1500},
               {"2.5/s", 2.5},   {"30/minute", 0.5}, {"7200/hour", 2},    {"5/sec", 5},
               {"1/second", 1},  {"120/m", 2}};
  for (const Case& c : cases) {
    Result<Rate> rate = ParseRate(c.text);
    ASSERT_TRUE(rate.ok()) << c.text << ": " << rate.status().ToString();
    EXPECT_DOUBLE_EQ(rate->per_second, c.per_second) << c.text;
  }
}

TEST(RateTest, RefusesWhatIsNotARateAndSaysWhatIsExpected) {
  for (const char* text : {"", "600", "/min", "0/min", "-5/min", "abc/min", "10/day", "10/min ",
                           "10 /min", "1e999/s", "nan/s", "10/"}) {
    Result<Rate> rate = ParseRate(text);
    ASSERT_FALSE(rate.ok()) << "'" << text << "' was accepted";
    EXPECT_NE(rate.status().message().find("expected COUNT/UNIT"), std::string::npos)
        << rate.status().message();
    EXPECT_NE(rate.status().message().find(std::string("'") + text + "'"), std::string::npos);
  }
}

TEST(RateTest, FormatsPerMinuteWhenWholeElsePerSecond) {
  EXPECT_EQ(FormatRate(Rate{10}), "600/min");
  EXPECT_EQ(FormatRate(Rate{0.5}), "30/min");
  EXPECT_EQ(FormatRate(Rate{0.01}), "0.01/s");
  for (const char* text : {"600/min", "1200/min", "90000/min", "3/min"}) {
    EXPECT_EQ(FormatRate(*ParseRate(text)), text);
  }
}

}  // namespace
}  // namespace sieve
