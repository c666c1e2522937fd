#include "common/csv_record.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sieve {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::string> Parse(std::string_view record) {
  RecordFields fields;
  Status status = ParseRecord(record, &fields);
  EXPECT_TRUE(status.ok()) << status.ToString() << " for " << record;
  return std::vector<std::string>(fields.begin(), fields.end());
}

Status ParseError(std::string_view record) {
  RecordFields fields;
  return ParseRecord(record, &fields);
}

TEST(ParseRecordTest, SplitsPlainFields) {
  EXPECT_THAT(Parse("a,b,c\n"), ElementsAre("a", "b", "c"));
  EXPECT_THAT(Parse("a,b,c"), ElementsAre("a", "b", "c"));
  EXPECT_THAT(Parse("a,b,c\r\n"), ElementsAre("a", "b", "c"));
}

TEST(ParseRecordTest, EmptyFields) {
  EXPECT_THAT(Parse(",,\n"), ElementsAre("", "", ""));
  EXPECT_THAT(Parse("\n"), ElementsAre(""));
  EXPECT_THAT(Parse(""), ElementsAre(""));
  EXPECT_THAT(Parse("a,\r\n"), ElementsAre("a", ""));
  EXPECT_THAT(Parse("\"\",x\n"), ElementsAre("", "x"));
}

TEST(ParseRecordTest, QuotedFieldsHoldSpecialBytes) {
  EXPECT_THAT(Parse("\"a,b\",c\n"), ElementsAre("a,b", "c"));
  EXPECT_THAT(Parse("\"line1\nline2\",x\r\n"), ElementsAre("line1\nline2", "x"));
  EXPECT_THAT(Parse("\"cr\r\nlf\",\"\r\"\r\n"), ElementsAre("cr\r\nlf", "\r"));
  EXPECT_THAT(Parse("\"say \"\"hi\"\"\",\"\"\"\"\n"), ElementsAre("say \"hi\"", "\""));
  EXPECT_THAT(Parse("\" padded \"\n"), ElementsAre(" padded "));
}

TEST(ParseRecordTest, LongRecordsCrossManyWindows) {
  std::string big(1000, 'x');
  std::string quoted = "\"" + std::string(300, ',') + "\"\"" + std::string(200, '\n') + "\"";
  std::vector<std::string> fields = Parse(big + "," + quoted + ",z\r\n");
  ASSERT_EQ(fields.size(), 3u);
  EXPECT_EQ(fields[0], big);
  EXPECT_EQ(fields[1], std::string(300, ',') + "\"" + std::string(200, '\n'));
  EXPECT_EQ(fields[2], "z");
}

TEST(ParseRecordTest, ManyUnescapedFieldsStayValid) {
  // Views into the unescape buffer must survive later fields being unescaped.
  std::string record;
  for (int i = 0; i < 50; ++i) record += "\"q\"\"" + std::to_string(i) + "\",";
  record += "end\n";
  std::vector<std::string> fields = Parse(record);
  ASSERT_EQ(fields.size(), 51u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(fields[i], "q\"" + std::to_string(i));
}

TEST(ParseRecordTest, ReusedFieldsObjectIsReset) {
  RecordFields fields;
  ASSERT_TRUE(ParseRecord("\"a\"\"\",b,c\n", &fields).ok());
  ASSERT_TRUE(ParseRecord("x\n", &fields).ok());
  EXPECT_THAT(std::vector<std::string>(fields.begin(), fields.end()), ElementsAre("x"));
}

TEST(ParseRecordTest, RejectsQuoteInUnquotedField) {
  Status s = ParseError("a,ab\"c\n");
  EXPECT_EQ(s.code(), Status::Code::kCorrupt);
  EXPECT_THAT(s.message(), HasSubstr("field 2: quote inside an unquoted field"));
}

TEST(ParseRecordTest, RejectsCharacterAfterClosingQuote) {
  Status s = ParseError("\"ab\"c,d\n");
  EXPECT_EQ(s.code(), Status::Code::kCorrupt);
  EXPECT_THAT(s.message(), HasSubstr("field 1: unexpected 'c' after a closing quote"));
}

TEST(ParseRecordTest, RejectsUnterminatedQuote) {
  EXPECT_THAT(ParseError("a,\"bc\n").message(), HasSubstr("field 2: unterminated quoted field"));
}

TEST(ParseRecordTest, RejectsBareCarriageReturn) {
  EXPECT_THAT(ParseError("a\rb\n").message(), HasSubstr("carriage return followed by 'b'"));
  EXPECT_THAT(ParseError("ab\r").message(), HasSubstr("carriage return at the end"));
}

TEST(ParseRecordTest, RejectsTwoRecords) {
  EXPECT_THAT(ParseError("a\nb\n").message(), HasSubstr("more than one record"));
}

std::vector<std::string> Records(std::string_view bytes, std::vector<uint64_t>* lines = nullptr) {
  RecordIterator it(bytes);
  std::vector<std::string> out;
  std::string_view record;
  while (true) {
    Result<bool> more = it.Next(&record);
    EXPECT_TRUE(more.ok()) << more.status().ToString();
    if (!more.ok() || !*more) break;
    out.emplace_back(record);
    if (lines != nullptr) lines->push_back(it.record_line_offset());
  }
  return out;
}

TEST(RecordIteratorTest, YieldsRecordsWithTerminators) {
  std::vector<uint64_t> lines;
  EXPECT_THAT(Records("a,b\r\n\"x\ny\",z\nlast", &lines),
              ElementsAre("a,b\r\n", "\"x\ny\",z\n", "last"));
  EXPECT_THAT(lines, ElementsAre(0, 1, 3));
  EXPECT_TRUE(Records("").empty());
}

TEST(RecordIteratorTest, RecordsAcrossWindowBoundaries) {
  std::string bytes;
  std::vector<std::string> expected;
  for (int i = 0; i < 200; ++i) {
    std::string record = "\"" + std::string(i % 70, i % 3 == 0 ? '\n' : 'v') + "\"," +
                         std::to_string(i) + (i % 2 ? "\r\n" : "\n");
    expected.push_back(record);
    bytes += record;
  }
  EXPECT_EQ(Records(bytes), expected);
}

TEST(RecordIteratorTest, ReportsErrorsWithLineOffset) {
  RecordIterator it("a\nb\n\"c\nd\"x\n");
  std::string_view record;
  ASSERT_TRUE(*it.Next(&record));
  ASSERT_TRUE(*it.Next(&record));
  Result<bool> bad = it.Next(&record);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("line offset 3"));
  EXPECT_FALSE(it.Next(&record).ok());  // sticky

  RecordIterator open("a\n\"b\n");
  ASSERT_TRUE(*open.Next(&record));
  EXPECT_THAT(open.Next(&record).status().message(),
              HasSubstr("unterminated quoted field in the record at line offset 1"));
}

}  // namespace
}  // namespace sieve
