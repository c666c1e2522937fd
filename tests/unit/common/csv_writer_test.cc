#include "common/csv_writer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/csv_chunker.h"
#include "common/csv_record.h"

namespace sieve {
namespace {

using ::testing::ElementsAre;

std::string Field(std::string_view value) {
  std::string out;
  AppendCsvField(value, &out);
  return out;
}

TEST(CsvWriterTest, QuotesOnlyWhenNeeded) {
  EXPECT_EQ(Field("plain"), "plain");
  EXPECT_EQ(Field(""), "");
  EXPECT_EQ(Field("a,b"), "\"a,b\"");
  EXPECT_EQ(Field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(Field("\""), "\"\"\"\"");
  EXPECT_EQ(Field("cr\r"), "\"cr\r\"");
  EXPECT_EQ(Field("lf\n"), "\"lf\n\"");
  EXPECT_EQ(Field(" lead"), "\" lead\"");
  EXPECT_EQ(Field("trail\t"), "\"trail\t\"");
  EXPECT_EQ(Field("in side"), "in side");
  EXPECT_EQ(Field("ünï"), "ünï");
}

TEST(CsvWriterTest, AppendColumnsKeepsRecordAndTerminator) {
  std::string out;
  const std::vector<std::string_view> label = {"spam"};
  AppendColumns("a,\"b\r\nc\"\r\n", label, &out);
  EXPECT_EQ(out, "a,\"b\r\nc\",spam\r\n");
  out.clear();
  AppendColumns("x\n", label, &out);
  EXPECT_EQ(out, "x,spam\n");
  out.clear();
  const std::vector<std::string_view> two = {"a,b", ""};
  AppendColumns("x", two, &out);
  EXPECT_EQ(out, "x,\"a,b\",");
}

TEST(CsvWriterTest, AppendHeaderColumn) {
  CsvHeader header{"website,content", "\r\n", {"website", "content"}};
  std::string out;
  AppendHeaderColumn(header, "label", &out);
  EXPECT_EQ(out, "website,content,label\r\n");
  out.clear();
  AppendHeaderColumn(header, "my label,2", &out);
  EXPECT_EQ(out, "website,content,\"my label,2\"\r\n");
}

TEST(CsvWriterTest, RoundTripThroughParser) {
  const std::vector<std::string> values = {
      "", " ", "\"", "\"\"", ",", "\r\n", "\n\n", "a\"b,c\rd\ne", " x ", "naïve ☃", "plain"};
  const std::vector<std::string> records = {"r,\"q\"\"\"\n", "\"\"\r\n", "z"};
  RecordFields before, after;
  for (const std::string& record : records) {
    ASSERT_TRUE(ParseRecord(record, &before).ok());
    std::vector<std::string> expected(before.begin(), before.end());
    for (const std::string& value : values) {
      std::string out;
      const std::vector<std::string_view> appended = {value, value};
      AppendColumns(record, appended, &out);
      ASSERT_TRUE(ParseRecord(out, &after).ok()) << out;
      std::vector<std::string> got(after.begin(), after.end());
      std::vector<std::string> want = expected;
      want.push_back(value);
      want.push_back(value);
      EXPECT_EQ(got, want) << out;
    }
  }
}

}  // namespace
}  // namespace sieve
