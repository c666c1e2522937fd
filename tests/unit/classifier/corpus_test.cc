// Reading labelled corpora, and the shape of the shipped example CSVs.
#include "classifier/corpus.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>

#include "common/csv_record.h"
#include "common/file_util.h"

namespace sieve::classifier {
namespace {

std::string WriteTemp(const std::string& name, const std::string& content) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

TEST(CorpusTest, ReadsColumnsInAnyOrderWithQuotedNewlines) {
  const std::string path = WriteTemp(
      "corpus_ok.csv",
      "label,id,text\r\nnews,1,\"Breaking, \"\"live\"\"\nupdates\"\r\nsports,2,goals\r\n");
  Result<std::vector<LabeledText>> corpus = ReadCorpus(path);
  ASSERT_TRUE(corpus.ok()) << corpus.status().ToString();
  ASSERT_EQ(corpus->size(), 2u);
  EXPECT_EQ((*corpus)[0].text, "Breaking, \"live\"\nupdates");
  EXPECT_EQ((*corpus)[0].label, "news");
  EXPECT_EQ((*corpus)[1].text, "goals");
}

TEST(CorpusTest, RefusesBadCorporaNamingFileAndLine) {
  Status s = ReadCorpus(WriteTemp("corpus_cols.csv", "content,category\nx,y\n")).status();
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  s = ReadCorpus(WriteTemp("corpus_empty_label.csv", "text,label\na,news\nb,\n")).status();
  EXPECT_EQ(s.code(), Status::Code::kCorrupt);
  EXPECT_NE(s.message().find("corpus_empty_label.csv:3"), std::string::npos) << s.ToString();
  s = ReadCorpus(WriteTemp("corpus_fields.csv", "text,label\na,news,extra\n")).status();
  EXPECT_EQ(s.code(), Status::Code::kCorrupt);
  EXPECT_NE(s.message().find("3 fields"), std::string::npos) << s.ToString();
  s = ReadCorpus(WriteTemp("corpus_quote.csv", "text,label\n\"open,news\n")).status();
  EXPECT_EQ(s.code(), Status::Code::kCorrupt);
  EXPECT_EQ(ReadCorpus(WriteTemp("corpus_nothing.csv", "")).status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(ReadCorpus("/nonexistent/corpus.csv").status().code(), Status::Code::kNotFound);
}

TEST(CorpusTest, ShippedCorpusIsBalancedAndComplete) {
  Result<std::vector<LabeledText>> corpus =
      ReadCorpus(SIEVE_SOURCE_DIR "/examples/classifier-corpus.csv");
  ASSERT_TRUE(corpus.ok()) << corpus.status().ToString();
  std::map<std::string, int> per_label;
  for (const LabeledText& e : *corpus) {
    ++per_label[e.label];
    EXPECT_FALSE(e.text.empty());
  }
  EXPECT_EQ(per_label.size(), 10u);
  for (const auto& [label, count] : per_label) EXPECT_GE(count, 40) << label;
}

TEST(CorpusTest, WebsitesCsvIsValidRfc4180WithTheNastyBits) {
  Result<std::string> bytes = ReadFile(SIEVE_SOURCE_DIR "/examples/websites.csv");
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  RecordIterator records(*bytes);
  RecordFields fields;
  std::string_view record;
  int rows = 0;
  bool comma = false, quote = false, newline = false, unicode = false, crlf = true;
  for (;;) {
    Result<bool> more = records.Next(&record);
    ASSERT_TRUE(more.ok()) << more.status().ToString();
    if (!*more) break;
    crlf = crlf && record.ends_with("\r\n");
    ASSERT_TRUE(ParseRecord(record, &fields).ok());
    ASSERT_EQ(fields.size(), 2u) << "record " << rows;
    if (rows++ == 0) {
      EXPECT_EQ(fields[0], "website");
      EXPECT_EQ(fields[1], "content");
      continue;
    }
    const std::string_view content = fields[1];
    comma = comma || content.find(',') != std::string_view::npos;
    quote = quote || content.find('"') != std::string_view::npos;
    newline = newline || content.find('\n') != std::string_view::npos;
    for (char c : content) unicode = unicode || static_cast<unsigned char>(c) >= 0x80;
  }
  EXPECT_GE(rows - 1, 55);
  EXPECT_TRUE(crlf);  // RFC 4180 record ends
  EXPECT_TRUE(comma && quote && newline && unicode);
}

}  // namespace
}  // namespace sieve::classifier
