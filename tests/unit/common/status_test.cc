#include "common/status.h"

#include <gtest/gtest.h>

namespace sieve {
namespace {

TEST(StatusTest, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(StatusTest, ErrorCarriesCodeAndMessage) {
  Status s = Status::Corrupt("data.csv:3: unterminated quote");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kCorrupt);
  EXPECT_EQ(s.ToString(), "corrupt: data.csv:3: unterminated quote");
}

Status FailsWhen(bool fail) { return fail ? Status::IoError("disk") : Status::Ok(); }
Status Chain(bool fail) {
  SIEVE_RETURN_IF_ERROR(FailsWhen(fail));
  return Status::Internal("reached the end");
}

TEST(StatusTest, ReturnIfErrorStopsEarly) {
  EXPECT_EQ(Chain(true).code(), Status::Code::kIoError);
  EXPECT_EQ(Chain(false).code(), Status::Code::kInternal);
}

TEST(ResultTest, HoldsValueOrError) {
  Result<int> good = 7;
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 7);
  EXPECT_TRUE(good.status().ok());
  Result<int> bad = Status::NotFound("job 12");
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "job 12");
}

}  // namespace
}  // namespace sieve
