#include "common/csv_chunker.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace sieve {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

CsvLimits TinyBlocks() {
  CsvLimits limits;
  limits.block_bytes = 7;
  return limits;
}

// Chunks `data` completely; fails the test on error.
std::vector<CsvChunk> ChunkAll(std::string data, uint32_t rows, CsvLimits limits = {},
                               uint64_t max_bytes = kDefaultChunkBytes) {
  Result<std::unique_ptr<CsvChunker>> chunker =
      CsvChunker::OpenString("in.csv", std::move(data), limits, rows, max_bytes);
  EXPECT_TRUE(chunker.ok()) << chunker.status().ToString();
  std::vector<CsvChunk> chunks;
  if (!chunker.ok()) return chunks;
  while (true) {
    Result<std::optional<CsvChunk>> chunk = (*chunker)->Next();
    EXPECT_TRUE(chunk.ok()) << chunk.status().ToString();
    if (!chunk.ok() || !chunk->has_value()) break;
    chunks.push_back(std::move(**chunk));
  }
  return chunks;
}

// The first error produced while opening or chunking `data`.
Status ChunkError(std::string data, CsvLimits limits = {}, uint32_t rows = 2) {
  Result<std::unique_ptr<CsvChunker>> chunker =
      CsvChunker::OpenString("data/part2.csv", std::move(data), limits, rows);
  if (!chunker.ok()) return chunker.status();
  while (true) {
    Result<std::optional<CsvChunk>> chunk = (*chunker)->Next();
    if (!chunk.ok()) return chunk.status();
    if (!chunk->has_value()) return Status::Internal("no error");
  }
}

std::string Concat(const std::vector<CsvChunk>& chunks) {
  std::string all;
  for (const CsvChunk& c : chunks) all += c.bytes;
  return all;
}

TEST(CsvChunkerTest, SplitsIntoChunksOfNRows) {
  const std::string data = "h1,h2\n1,a\n2,b\n3,c\n4,d\n5,e\n6,f\n7,g\n";
  for (uint32_t rows : {1u, 3u, 1000000u}) {
    for (CsvLimits limits : {CsvLimits{}, TinyBlocks()}) {
      std::vector<CsvChunk> chunks = ChunkAll(data, rows, limits);
      const size_t expected = (7 + rows - 1) / rows;
      ASSERT_EQ(chunks.size(), expected) << rows;
      uint64_t row = 0;
      for (size_t i = 0; i < chunks.size(); ++i) {
        EXPECT_EQ(chunks[i].index, i);
        EXPECT_EQ(chunks[i].first_row, row);
        EXPECT_EQ(chunks[i].first_line, row + 2);
        EXPECT_EQ(chunks[i].source, "in.csv");
        EXPECT_EQ(chunks[i].row_count, std::min<uint64_t>(rows, 7 - row));
        row += chunks[i].row_count;
      }
      EXPECT_EQ(Concat(chunks), data.substr(6));
    }
  }
}

TEST(CsvChunkerTest, HeaderIsParsed) {
  auto chunker = CsvChunker::OpenString("in.csv", "website,\"con,tent\"\r\nx,y\r\n", {}, 10);
  ASSERT_TRUE(chunker.ok());
  EXPECT_EQ((*chunker)->header().raw, "website,\"con,tent\"");
  EXPECT_EQ((*chunker)->header().terminator, "\r\n");
  EXPECT_THAT((*chunker)->header().columns, ElementsAre("website", "con,tent"));
}

TEST(CsvChunkerTest, KeepsCrlfAndQuotedNewlines) {
  const std::string body = "1,\"multi\r\nline\"\r\n2,\"a\n\"\"b\"\"\"\r\n3,\r\n";
  for (CsvLimits limits : {CsvLimits{}, TinyBlocks()}) {
    std::vector<CsvChunk> chunks = ChunkAll("id,text\r\n" + body, 1, limits);
    ASSERT_EQ(chunks.size(), 3u);
    EXPECT_EQ(chunks[0].bytes, "1,\"multi\r\nline\"\r\n");
    EXPECT_EQ(chunks[1].first_line, 4u);  // physical lines: the quoted CRLF counts
    EXPECT_EQ(chunks[2].first_line, 6u);
    EXPECT_EQ(Concat(chunks), body);
  }
}

TEST(CsvChunkerTest, StripsBomFromHeaderOnly) {
  auto chunker =
      CsvChunker::OpenString("in.csv", "\xEF\xBB\xBFid,v\n1,\xEF\xBB\xBF\n", TinyBlocks(), 5);
  ASSERT_TRUE(chunker.ok());
  EXPECT_EQ((*chunker)->header().raw, "id,v");
  auto chunk = (*chunker)->Next();
  ASSERT_TRUE(chunk.ok() && chunk->has_value());
  EXPECT_EQ((*chunk)->bytes, "1,\xEF\xBB\xBF\n");
}

TEST(CsvChunkerTest, AppendsNewlineToLastRecord) {
  EXPECT_EQ(Concat(ChunkAll("a,b\n1,2\n3,4", 10)), "1,2\n3,4\n");
  EXPECT_EQ(Concat(ChunkAll("a,b\r\n1,2\r\n3,\"4\"", 1, TinyBlocks())), "1,2\r\n3,\"4\"\n");
  EXPECT_EQ(Concat(ChunkAll("a,b\r\n3,4\r", 1)), "3,4\r\n");
  EXPECT_EQ(Concat(ChunkAll("only-header", 1)), "");
}

TEST(CsvChunkerTest, SkipsBlankLines) {
  std::vector<CsvChunk> chunks = ChunkAll("\na,b\n\n1,2\r\n\r\n\n3,4\n\n", 1);
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0].bytes, "1,2\r\n");
  EXPECT_EQ(chunks[0].first_line, 4u);
  EXPECT_EQ(chunks[1].bytes, "3,4\n");
  EXPECT_EQ(chunks[1].first_line, 7u);
}

TEST(CsvChunkerTest, HeaderOnlyFileHasNoChunks) {
  EXPECT_TRUE(ChunkAll("a,b\n", 3).empty());
  EXPECT_TRUE(ChunkAll("a,b\r\n", 3, TinyBlocks()).empty());
}

TEST(CsvChunkerTest, EmptyInputIsAnError) {
  for (const char* data : {"", "\xEF\xBB\xBF", "\n\r\n\n"}) {
    Status s = ChunkError(data);
    EXPECT_EQ(s.code(), Status::Code::kCorrupt);
    EXPECT_THAT(s.message(), HasSubstr("data/part2.csv: empty input: no header line"));
  }
}

TEST(CsvChunkerTest, RecordStraddlingBlocks) {
  const std::string field(100, 'x');
  const std::string body = "\"" + field + "\n" + field + "\"," + field + "\n2,\"\"\"\"\r\n";
  std::vector<CsvChunk> chunks = ChunkAll("a,b\n" + body, 1, TinyBlocks());
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[1].first_line, 4u);
  EXPECT_EQ(Concat(chunks), body);
}

TEST(CsvChunkerTest, ErrorUnterminatedQuote) {
  Status s = ChunkError("a,b\n1,2\n3,\"never\nclosed\n\nat all");
  EXPECT_EQ(s.code(), Status::Code::kCorrupt);
  EXPECT_EQ(s.message(), "data/part2.csv:6: unterminated quoted field starting at line 3; "
                         "check for a missing closing quote");
  // With a trailing newline the last line is the one that holds it.
  EXPECT_THAT(ChunkError("a,b\n1,\"x\n\n", TinyBlocks()).message(),
              HasSubstr("data/part2.csv:3: unterminated quoted field starting at line 2"));
}

TEST(CsvChunkerTest, ErrorQuoteInsideUnquotedField) {
  Status s = ChunkError("a,b\n1,2\nx,ab\"c\n", TinyBlocks());
  EXPECT_EQ(s.code(), Status::Code::kCorrupt);
  EXPECT_THAT(s.message(), HasSubstr("data/part2.csv:3: quote inside an unquoted field"));
}

TEST(CsvChunkerTest, ErrorAfterClosingQuote) {
  Status s = ChunkError("a,b\n\"x\ny\"z,2\n");
  EXPECT_EQ(s.code(), Status::Code::kCorrupt);
  EXPECT_THAT(s.message(), HasSubstr("data/part2.csv:3: unexpected 'z' after a closing quote"));
}

TEST(CsvChunkerTest, ErrorBareCarriageReturn) {
  EXPECT_THAT(ChunkError("a,b\n1,2\r3,4\n").message(),
              HasSubstr("data/part2.csv:2: carriage return followed by '3'"));
}

TEST(CsvChunkerTest, ErrorFieldCountMismatch) {
  Status s = ChunkError("a,b\n1,2\n1,2,3\n");
  EXPECT_EQ(s.code(), Status::Code::kCorrupt);
  EXPECT_THAT(s.message(), HasSubstr("data/part2.csv:3: record has 3 fields but the header has 2"));
  EXPECT_THAT(ChunkError("a,b\n\"1\n\",2\nonly\n", TinyBlocks()).message(),
              HasSubstr("data/part2.csv:4: record has 1 fields"));
}

TEST(CsvChunkerTest, ErrorFieldTooLarge) {
  CsvLimits limits = TinyBlocks();
  limits.max_field_bytes = 10;
  EXPECT_EQ(ChunkAll("a,b\n1234567890,\"12345678\"\n", 1, limits).size(), 1u);
  Status s = ChunkError("a,b\n1,2\n1,\"12345678\n\"\n", limits);
  EXPECT_EQ(s.code(), Status::Code::kTooLarge);
  EXPECT_THAT(s.message(), HasSubstr("data/part2.csv:3: field 2 is larger than the limit of 10"));
  s = ChunkError("a,b\n1," + std::string(5000, 'x') + "\n", limits);  // caught before the end
  EXPECT_THAT(s.message(), HasSubstr("data/part2.csv:2: field 2 is larger"));
}

TEST(CsvChunkerTest, ErrorRecordTooLarge) {
  CsvLimits limits;
  limits.max_record_bytes = 20;
  EXPECT_EQ(ChunkAll("a,b\n123456789,12345678\n", 1, limits).size(), 1u);
  Status s = ChunkError("a,b\n1,2\n1234567890,123456789\n", limits);
  EXPECT_EQ(s.code(), Status::Code::kTooLarge);
  EXPECT_THAT(s.message(), HasSubstr("data/part2.csv:3: record is larger than the limit of 20"));
}

TEST(CsvChunkerTest, ErrorTooManyColumns) {
  CsvLimits limits;
  limits.max_columns = 3;
  EXPECT_TRUE(ChunkError("a,b,c\n1,2,3\n", limits).message() == "no error");
  Status s = ChunkError("a,b,c,d\n1,2,3,4\n", limits);
  EXPECT_EQ(s.code(), Status::Code::kTooLarge);
  EXPECT_THAT(s.message(), HasSubstr("data/part2.csv:1: record has 4 fields, more than the limit"));
}

TEST(CsvChunkerTest, ErrorInvalidUtf8InHeader) {
  Status s = ChunkError("\nab,c\xC3\x28\n1,2\n");
  EXPECT_EQ(s.code(), Status::Code::kCorrupt);
  EXPECT_THAT(s.message(), HasSubstr("data/part2.csv:2: invalid UTF-8 in the header at byte 5"));
  EXPECT_THAT(ChunkError("a\"b\n").message(), HasSubstr("data/part2.csv:1: quote inside"));
}

TEST(CsvChunkerTest, RejectsBadArguments) {
  EXPECT_EQ(CsvChunker::OpenString("x", "a\n", {}, 0).status().code(),
            Status::Code::kInvalidArgument);
  CsvLimits limits;
  limits.block_bytes = 2;
  EXPECT_EQ(CsvChunker::OpenString("x", "a\n", limits, 1).status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(CsvChunker::Open({}, {}, 1).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(CsvChunker::OpenString("x", "a\n", {}, 1, 0).status().code(),
            Status::Code::kInvalidArgument);
}

// --chunk-bytes: a chunk ends before the record that would take it past the byte bound.
TEST(CsvChunkerTest, CutsAtTheByteBound) {
  // Every data record is 10 bytes ("r0,abcdef\n"): 25 bytes hold two, 30 hold three.
  std::string data = "id,text\n";
  for (int i = 0; i < 7; ++i) data += "r" + std::to_string(i) + ",abcdef\n";
  for (CsvLimits limits : {CsvLimits{}, TinyBlocks()}) {
    std::vector<CsvChunk> chunks = ChunkAll(data, 1000, limits, 25);
    ASSERT_EQ(chunks.size(), 4u);
    for (size_t i = 0; i < chunks.size(); ++i) {
      EXPECT_EQ(chunks[i].index, i);
      EXPECT_EQ(chunks[i].row_count, i < 3 ? 2u : 1u);
      EXPECT_EQ(chunks[i].first_row, 2 * i);
      EXPECT_EQ(chunks[i].first_line, 2 * i + 2);
    }
    EXPECT_EQ(chunks[1].bytes, "r2,abcdef\nr3,abcdef\n");
    EXPECT_EQ(Concat(chunks), data.substr(8));
    // A bound met exactly is not exceeded: 30 bytes take three records.
    EXPECT_EQ(ChunkAll(data, 1000, limits, 30).size(), 3u);
  }
}

TEST(CsvChunkerTest, RowsOrBytesWhicheverComesFirst) {
  std::string data = "id,text\n";
  for (int i = 0; i < 6; ++i) data += "r" + std::to_string(i) + ",abcdef\n";
  EXPECT_EQ(ChunkAll(data, 2, {}, 1000).size(), 3u);       // rows first: 2 per chunk
  EXPECT_EQ(ChunkAll(data, 1000, {}, 35).size(), 2u);      // bytes first: 3 per chunk
  std::vector<CsvChunk> both = ChunkAll(data, 2, {}, 15);  // bytes first again: 1 per chunk
  EXPECT_EQ(both.size(), 6u);
}

TEST(CsvChunkerTest, ARecordLargerThanTheBoundIsAChunkAlone) {
  const std::string big = "big," + std::string(100, 'x') + "\n";
  const std::string quoted = "q,\"multi\nline " + std::string(60, 'y') + "\"\r\n";
  const std::string data = "id,text\na,1\n" + big + "b,2\nc,3\n" + quoted + "d,4\n";
  for (CsvLimits limits : {CsvLimits{}, TinyBlocks()}) {
    std::vector<CsvChunk> chunks = ChunkAll(data, 1000, limits, 10);
    ASSERT_EQ(chunks.size(), 5u);
    EXPECT_EQ(chunks[0].bytes, "a,1\n");
    EXPECT_EQ(chunks[1].bytes, big);
    EXPECT_EQ(chunks[1].first_row, 1u);
    EXPECT_EQ(chunks[1].first_line, 3u);
    EXPECT_EQ(chunks[2].bytes, "b,2\nc,3\n");
    EXPECT_EQ(chunks[3].bytes, quoted);
    EXPECT_EQ(chunks[3].first_line, 6u);
    EXPECT_EQ(chunks[4].bytes, "d,4\n");
    EXPECT_EQ(chunks[4].first_row, 5u);
    EXPECT_EQ(chunks[4].first_line, 8u);  // the quoted record spans lines 6 and 7
  }
}

// Random records and bounds: every chunk is within both bounds (or one record), and the
// chunks are the input in order, their positions consistent.
TEST(CsvChunkerTest, ByteBoundPropertyOnRandomInputs) {
  std::mt19937 rng(19);
  for (int round = 0; round < 200; ++round) {
    std::string data = "id,text\n";
    std::vector<size_t> record_sizes;
    const int records = static_cast<int>(rng() % 60);
    for (int i = 0; i < records; ++i) {
      std::string text(rng() % 300, 'a' + static_cast<char>(i % 26));
      if (rng() % 5 == 0) text = "\"" + text + "\n,\"\"\"";
      std::string record = std::to_string(i) + "," + text + (rng() % 2 ? "\n" : "\r\n");
      record_sizes.push_back(record.size());
      data += record;
    }
    const uint32_t rows = 1 + rng() % 20;
    const uint64_t max_bytes = 1 + rng() % 1200;
    CsvLimits limits = round % 2 ? TinyBlocks() : CsvLimits{};
    std::vector<CsvChunk> chunks = ChunkAll(data, rows, limits, max_bytes);
    EXPECT_EQ(Concat(chunks), data.substr(8));
    uint64_t row = 0;
    for (const CsvChunk& chunk : chunks) {
      ASSERT_GE(chunk.row_count, 1u);
      EXPECT_LE(chunk.row_count, rows);
      EXPECT_TRUE(chunk.bytes.size() <= max_bytes || chunk.row_count == 1)
          << chunk.bytes.size() << " bytes in " << chunk.row_count << " rows, bound " << max_bytes;
      EXPECT_EQ(chunk.first_row, row);
      row += chunk.row_count;
      // Maximal: the next record would have broken a bound.
      if (row < record_sizes.size() && chunk.row_count < rows) {
        EXPECT_GT(chunk.bytes.size() + record_sizes[row], max_bytes);
      }
    }
    EXPECT_EQ(row, static_cast<uint64_t>(records));
  }
}

TEST(CsvChunkerTest, ErrorsAreSticky) {
  auto chunker = CsvChunker::OpenString("x.csv", "a\n1\n\"2\n", {}, 1);
  ASSERT_TRUE(chunker.ok());
  ASSERT_TRUE((*chunker)->Next().ok());
  EXPECT_FALSE((*chunker)->Next().ok());
  EXPECT_FALSE((*chunker)->Next().ok());
}

// Files on disk: multiple inputs form one logical input.
class CsvChunkerFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("csv_chunker_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& data) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << data;
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(CsvChunkerFilesTest, MultipleFilesAreOneInput) {
  std::string a = Write("a.csv", "\xEF\xBB\xBFid,v\n1,x\n2,y\n3,z\n");
  std::string b = Write("b.csv", "id,v\r\n");
  std::string c = Write("c.csv", "id,v\r\n4,\"w\nv\"\r\n5,u");
  auto chunker = CsvChunker::Open({a, b, c}, TinyBlocks(), 2);
  ASSERT_TRUE(chunker.ok()) << chunker.status().ToString();
  std::vector<CsvChunk> chunks;
  while (true) {
    auto chunk = (*chunker)->Next();
    ASSERT_TRUE(chunk.ok()) << chunk.status().ToString();
    if (!chunk->has_value()) break;
    chunks.push_back(**chunk);
  }
  ASSERT_EQ(chunks.size(), 3u);  // a chunk never spans files: {1,2} {3} {4,5}
  EXPECT_EQ(chunks[1].bytes, "3,z\n");
  EXPECT_EQ(chunks[1].source, a);
  EXPECT_EQ(chunks[1].first_line, 4u);
  EXPECT_EQ(chunks[2].index, 2u);
  EXPECT_EQ(chunks[2].first_row, 3u);
  EXPECT_EQ(chunks[2].row_count, 2u);
  EXPECT_EQ(chunks[2].source, c);
  EXPECT_EQ(chunks[2].first_line, 2u);
  EXPECT_EQ(chunks[2].bytes, "4,\"w\nv\"\r\n5,u\n");
  EXPECT_EQ((*chunker)->rows_read(), 5u);
}

TEST_F(CsvChunkerFilesTest, ByteBoundAcrossFiles) {
  // A record carried over the byte bound stays in its own file's chunk.
  std::string a = Write("a.csv", "id,v\n1,xxxx\n2,yyyy\n");
  std::string b = Write("b.csv", "id,v\n3,zzzz\n");
  auto chunker = CsvChunker::Open({a, b}, TinyBlocks(), 100, 8);
  ASSERT_TRUE(chunker.ok()) << chunker.status().ToString();
  std::vector<CsvChunk> chunks;
  while (true) {
    auto chunk = (*chunker)->Next();
    ASSERT_TRUE(chunk.ok()) << chunk.status().ToString();
    if (!chunk->has_value()) break;
    chunks.push_back(**chunk);
  }
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[1].bytes, "2,yyyy\n");
  EXPECT_EQ(chunks[1].source, a);
  EXPECT_EQ(chunks[1].first_line, 3u);
  EXPECT_EQ(chunks[2].source, b);
  EXPECT_EQ(chunks[2].first_row, 2u);
  EXPECT_EQ((*chunker)->rows_read(), 3u);
}

TEST_F(CsvChunkerFilesTest, MismatchedHeadersNameBothFiles) {
  std::string a = Write("a.csv", "id,v\n1,x\n");
  std::string b = Write("b.csv", "id,w\n1,x\n");
  auto chunker = CsvChunker::Open({a, b}, {}, 2);
  ASSERT_FALSE(chunker.ok());
  EXPECT_EQ(chunker.status().code(), Status::Code::kCorrupt);
  EXPECT_EQ(chunker.status().message(),
            b + ":1: header \"id,w\" differs from the header \"id,v\" of " + a +
                "; all input files must have the same header");
}

TEST_F(CsvChunkerFilesTest, EmptySecondFileIsAnError) {
  std::string a = Write("a.csv", "id,v\n1,x\n");
  std::string b = Write("b.csv", "");
  auto chunker = CsvChunker::Open({a, b}, {}, 2);
  ASSERT_FALSE(chunker.ok());
  EXPECT_THAT(chunker.status().message(), HasSubstr(b + ": empty input"));
}

TEST_F(CsvChunkerFilesTest, MissingFileIsNotFound) {
  auto chunker = CsvChunker::Open({(dir_ / "nope.csv").string()}, {}, 2);
  ASSERT_FALSE(chunker.ok());
  EXPECT_EQ(chunker.status().code(), Status::Code::kNotFound);
  EXPECT_THAT(chunker.status().message(), HasSubstr("nope.csv: cannot open"));
}

TEST_F(CsvChunkerFilesTest, ErrorsNameTheFileAndItsLine) {
  std::string a = Write("a.csv", "id,v\n1,x\n2,y\n");
  std::string b = Write("b.csv", "id,v\n1,x\n2,\"y\n");
  auto chunker = CsvChunker::Open({a, b}, {}, 100);
  ASSERT_TRUE(chunker.ok());
  ASSERT_TRUE((*chunker)->Next().ok());
  auto bad = (*chunker)->Next();
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            b + ":3: unterminated quoted field starting at line 3; check for a missing closing "
                "quote");
}

}  // namespace
}  // namespace sieve
