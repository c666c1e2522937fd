#include "collector/stored_result.h"

#include <gtest/gtest.h>

namespace sieve {
namespace {

StoredResult Sample() {
  StoredResult r;
  r.first_row = 10;
  r.rows = 2;
  r.error_rows = 1;
  r.retries = 4;
  r.attempt = 2;
  r.errors = {{11, "HTTP 500 after 4 attempts"}};
  r.labelled = "a,\"b\nc\",news\r\nd,e,error\r\n";
  return r;
}

TEST(StoredResultTest, RoundTrip) {
  auto decoded = DecodeStoredResult(EncodeStoredResult(Sample()));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, Sample());
}

TEST(StoredResultTest, TruncatedOrForeignBytesAreCorrupt) {
  std::string bytes = EncodeStoredResult(Sample());
  EXPECT_EQ(DecodeStoredResult(bytes.substr(0, 5)).status().code(), Status::Code::kCorrupt);
  EXPECT_EQ(DecodeStoredResult(bytes.substr(0, 20)).status().code(), Status::Code::kCorrupt);
  std::string wrong = bytes;
  wrong[9] = '[';  // metadata no longer an object
  EXPECT_FALSE(DecodeStoredResult(wrong).ok());
  std::string huge_len(8, '\xff');
  EXPECT_FALSE(DecodeStoredResult(huge_len + "{}").ok());
  std::string missing = std::string("\x02\0\0\0\0\0\0\0", 8) + "{}";
  EXPECT_EQ(DecodeStoredResult(missing).status().code(), Status::Code::kCorrupt);
}

}  // namespace
}  // namespace sieve
