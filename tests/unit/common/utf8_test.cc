#include "common/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace sieve {
namespace {

TEST(Utf8Test, AcceptsWellFormedText) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("website,content"));
  EXPECT_TRUE(IsValidUtf8("na\xC3\xAFve \xE2\x98\x83 \xF0\x9F\x98\x80"));
  EXPECT_TRUE(IsValidUtf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF
}

TEST(Utf8Test, RejectsMalformedText) {
  const std::pair<std::string, size_t> cases[] = {
      {"ab\x80", 2},              // stray continuation byte
      {"\xC0\xAF", 0},            // overlong
      {"x\xE0\x80\xAF", 1},       // overlong 3-byte
      {"\xED\xA0\x80", 0},        // surrogate
      {"\xF4\x90\x80\x80", 0},    // past U+10FFFF
      {"ok\xE2\x98", 2},          // truncated
      {"\xC3\x28", 0},            // bad continuation
      {"\xFF", 0},
  };
  for (const auto& [text, offset] : cases) {
    size_t bad = 99;
    EXPECT_FALSE(IsValidUtf8(text, &bad)) << text;
    EXPECT_EQ(bad, offset) << text;
  }
}

}  // namespace
}  // namespace sieve
