#include "worker/json_body.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace sieve {
namespace {

std::string Escape(std::string_view text) {
  std::string out;
  size_t bad = 0;
  EXPECT_TRUE(AppendJsonString(text, &out, &bad));
  return out;
}

TEST(JsonBodyTest, EscapesWhatJsonRequires) {
  EXPECT_EQ(Escape("plain"), "\"plain\"");
  EXPECT_EQ(Escape(""), "\"\"");
  EXPECT_EQ(Escape("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(Escape("\n\r\t\b\f"), R"("\n\r\t\b\f")");
  EXPECT_EQ(Escape(std::string("\x00\x01\x1f", 3)), R"("\u0000\u0001\u001f")");
  EXPECT_EQ(Escape("/ and \x7f stay"), "\"/ and \x7f stay\"");
  EXPECT_EQ(Escape("é中😀"), "\"é中😀\"");
}

TEST(JsonBodyTest, RoundTripsEveryByteThroughAJsonParser) {
  std::string all;
  for (int c = 0; c < 0x80; ++c) all.push_back(static_cast<char>(c));
  all += "é中😀";
  const auto parsed = nlohmann::json::parse(Escape(all));
  EXPECT_EQ(parsed.get<std::string>(), all);
}

TEST(JsonBodyTest, RefusesInvalidUtf8WithTheOffset) {
  for (const auto& [text, offset] : std::vector<std::pair<std::string, size_t>>{
           {"ab\xff", 2}, {"\xc0\xaf", 0}, {"x\xed\xa0\x80", 1}, {"\xf4\x90\x80\x80", 0},
           {"ok\xe4\xb8", 2}, {"\x80", 0}}) {
    std::string out = "prefix";
    size_t bad = 99;
    EXPECT_FALSE(AppendJsonString(text, &out, &bad)) << text;
    EXPECT_EQ(bad, offset) << text;
    EXPECT_EQ(out, "prefix");
  }
}

TEST(JsonBodyTest, EncodesRowsKeyedByHeader) {
  Result<RowEncoder> all = RowEncoder::Create({"website", "content", "x\"y"}, {});
  ASSERT_TRUE(all.ok());
  std::string out;
  ASSERT_TRUE(all->AppendObject(std::vector<std::string>{"a.com", "hi \"there\"", "1"}, &out).ok());
  EXPECT_EQ(out, R"({"website":"a.com","content":"hi \"there\"","x\"y":"1"})");

  Result<RowEncoder> some = RowEncoder::Create({"website", "content"}, {"content"});
  ASSERT_TRUE(some.ok());
  out.clear();
  ASSERT_TRUE(some->AppendObject(std::vector<std::string>{"a.com", "text"}, &out).ok());
  EXPECT_EQ(out, R"({"content":"text"})");
}

TEST(JsonBodyTest, RowErrorsLeaveTheOutputUntouched) {
  Result<RowEncoder> encoder = RowEncoder::Create({"website", "content"}, {});
  ASSERT_TRUE(encoder.ok());
  std::string out = "[";
  Status bad = encoder->AppendObject(std::vector<std::string>{"a", "b\xfe"}, &out);
  EXPECT_EQ(bad.message(), "invalid UTF-8 in column 'content' at byte 1");
  EXPECT_EQ(out, "[");
  Status short_row = encoder->AppendObject(std::vector<std::string>{"a"}, &out);
  EXPECT_EQ(short_row.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(out, "[");
}

TEST(JsonBodyTest, RefusesUnknownFieldsAndBadColumnNames) {
  EXPECT_FALSE(RowEncoder::Create({"a"}, {"b"}).ok());
  EXPECT_FALSE(RowEncoder::Create({"a\xff"}, {}).ok());
}

}  // namespace
}  // namespace sieve
