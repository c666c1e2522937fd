#include "proto/job_id.h"

#include <gtest/gtest.h>

namespace sieve::proto {
namespace {

TEST(JobIdTest, FormatsSixteenLowercaseHexDigits) {
  EXPECT_EQ(FormatJobId(0), "j0000000000000000");
  EXPECT_EQ(FormatJobId(42), "j000000000000002a");
  EXPECT_EQ(FormatJobId(~0ull), "jffffffffffffffff");
}

TEST(JobIdTest, ParsesWhatItFormats) {
  for (std::uint64_t n : {0ull, 1ull, 0xdeadbeefull, 0x0123456789abcdefull, ~0ull}) {
    Result<std::uint64_t> parsed = ParseJobId(FormatJobId(n));
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    EXPECT_EQ(*parsed, n);
  }
}

TEST(JobIdTest, RefusesAnythingElse) {
  for (const char* bad : {"", "j", "j000000000000002", "j000000000000002a0", "J000000000000002a",
                          "k000000000000002a", "j000000000000002A", "j00000000000000-1",
                          "../../etc/passwd", "j0000000000000/2a", "j00000000000000 a"}) {
    EXPECT_FALSE(IsValidJobId(bad)) << bad;
    EXPECT_EQ(ParseJobId(bad).status().code(), Status::Code::kCorrupt) << bad;
  }
  EXPECT_FALSE(IsValidJobId(std::string("j00000000000000\0a", 17)));
}

}  // namespace
}  // namespace sieve::proto
