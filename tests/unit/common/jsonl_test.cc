// JSON Lines: the reader through CsvChunker (rows, blank lines, BOM, CRLF, limits, errors with
// file and line, several files) and the row conversions of common/jsonl_row.h.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/csv_chunker.h"
#include "common/csv_record.h"
#include "common/jsonl_file_reader.h"
#include "common/jsonl_row.h"
#include "common/record_format.h"

namespace sieve {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

Result<std::unique_ptr<CsvChunker>> Open(std::string data, uint32_t rows, CsvLimits limits = {},
                                         uint64_t max_bytes = kDefaultChunkBytes) {
  return CsvChunker::OpenString("in.jsonl", std::move(data), limits, rows, max_bytes,
                                RecordFormat::kJsonl);
}

std::vector<CsvChunk> ChunkAll(std::string data, uint32_t rows, CsvLimits limits = {},
                               uint64_t max_bytes = kDefaultChunkBytes) {
  auto chunker = Open(std::move(data), rows, limits, max_bytes);
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

// The error of chunking `data` to the end.
Status ChunkError(std::string data, CsvLimits limits = {}) {
  auto chunker = Open(std::move(data), 2, limits);
  if (!chunker.ok()) return chunker.status();
  while (true) {
    Result<std::optional<CsvChunk>> chunk = (*chunker)->Next();
    if (!chunk.ok()) return chunk.status();
    if (!chunk->has_value()) return Status::Ok();
  }
}

TEST(RecordFormat, FromNamesAndPaths) {
  EXPECT_EQ(FormatFromPath("a/b.jsonl"), RecordFormat::kJsonl);
  EXPECT_EQ(FormatFromPath("B.NDJSON"), RecordFormat::kJsonl);
  EXPECT_EQ(FormatFromPath("b.csv"), RecordFormat::kCsv);
  EXPECT_EQ(FormatFromPath("jsonl"), RecordFormat::kCsv);
  EXPECT_EQ(*ParseRecordFormat("jsonl"), RecordFormat::kJsonl);
  EXPECT_EQ(*ParseRecordFormat(""), RecordFormat::kCsv);
  EXPECT_THAT(ParseRecordFormat("xml", "--output-format").status().message(),
              HasSubstr("--output-format must be csv or jsonl"));
}

TEST(JsonlChunker, HeaderIsTheFirstObjectsKeysAndEveryLineIsARow) {
  auto chunker = Open("{\"website\":\"a\",\"content\":\"x,y\"}\n{\"content\":1}\n", 10);
  ASSERT_TRUE(chunker.ok()) << chunker.status().ToString();
  EXPECT_THAT((*chunker)->header().columns, ElementsAre("website", "content"));
  EXPECT_EQ((*chunker)->header().raw, "website,content");
  Result<std::optional<CsvChunk>> chunk = (*chunker)->Next();
  ASSERT_TRUE(chunk.ok() && chunk->has_value());
  EXPECT_EQ((*chunk)->row_count, 2u);
  EXPECT_EQ((*chunk)->first_line, 1u);
  EXPECT_EQ((*chunk)->bytes, "{\"website\":\"a\",\"content\":\"x,y\"}\n{\"content\":1}\n");
}

TEST(JsonlChunker, KeepsOrderAcrossChunksAndTinyBlocks) {
  std::string data;
  for (int i = 0; i < 100; ++i) data += "{\"i\":" + std::to_string(i) + ",\"s\":\"\\n\"}\n";
  CsvLimits limits;
  limits.block_bytes = 5;
  std::vector<CsvChunk> chunks = ChunkAll(data, 7, limits);
  ASSERT_EQ(chunks.size(), 15u);
  std::string joined;
  uint64_t row = 0;
  for (const CsvChunk& c : chunks) {
    EXPECT_EQ(c.first_row, row);
    EXPECT_EQ(c.first_line, row + 1);
    row += c.row_count;
    joined += c.bytes;
  }
  EXPECT_EQ(joined, data);
}

TEST(JsonlChunker, SkipsBlankLinesAndBomKeepsCrlfTerminatesLastLine) {
  std::vector<CsvChunk> chunks = ChunkAll("\xEF\xBB\xBF{\"a\":1}\r\n\r\n   \n{\"a\":2}", 10);
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].bytes, "{\"a\":1}\r\n{\"a\":2}\n");
  EXPECT_EQ(chunks[0].row_count, 2u);
}

TEST(JsonlChunker, ByteBoundCutsChunks) {
  std::vector<CsvChunk> chunks = ChunkAll("{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n", 100, {}, 17);
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0].row_count, 2u);
  EXPECT_EQ(chunks[1].first_line, 3u);
}

TEST(JsonlChunker, MalformedLinesNameFileLineAndReason) {
  EXPECT_THAT(ChunkError("{\"a\":1}\n{\"a\":2,}\n").message(),
              HasSubstr("in.jsonl:2: invalid JSON"));
  EXPECT_THAT(ChunkError("{\"a\":1}\n\n[1,2]\n").message(),
              HasSubstr("in.jsonl:3: not a JSON object: the line starts with '['"));
  EXPECT_THAT(ChunkError("{\"a\":1} {\"a\":2}\n").message(), HasSubstr("in.jsonl:1: invalid JSON"));
  EXPECT_THAT(ChunkError("{\"a\":\"\xff\"}\n").message(), HasSubstr("in.jsonl:1: invalid JSON"));
  EXPECT_THAT(ChunkError("{\"a\":1}\n{\"a\":\"x\n").message(), HasSubstr("in.jsonl:2:"));
  EXPECT_THAT(ChunkError("{}\n").message(), HasSubstr("the first object has no keys"));
  EXPECT_THAT(ChunkError("").message(), HasSubstr("empty input"));
  std::string deep = "{\"a\":" + std::string(600, '[') + std::string(600, ']') + "}\n";
  EXPECT_THAT(ChunkError(deep).message(), HasSubstr("nested deeper than 512"));
  CsvLimits small;
  small.max_record_bytes = 20;
  Status too_large = ChunkError("{\"a\":1}\n{\"a\":\"0123456789012345678901\"}\n", small);
  EXPECT_EQ(too_large.code(), Status::Code::kTooLarge);
  EXPECT_THAT(too_large.message(), HasSubstr("in.jsonl:2: line longer than 20 bytes"));
}

TEST(JsonlChunker, SeveralFilesOneInputAndNoHeaderCheck) {
  const std::string dir = ::testing::TempDir() + "/jsonl_files_" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/a.jsonl") << "{\"x\":1,\"y\":2}\n";
  std::ofstream(dir + "/b.jsonl") << "{\"y\":3}\n{\"z\":4}\n";
  auto chunker = CsvChunker::Open({dir + "/a.jsonl", dir + "/b.jsonl"}, {}, 10,
                                  kDefaultChunkBytes, RecordFormat::kJsonl);
  ASSERT_TRUE(chunker.ok()) << chunker.status().ToString();
  EXPECT_THAT((*chunker)->header().columns, ElementsAre("x", "y"));
  auto first = (*chunker)->Next();
  auto second = (*chunker)->Next();
  ASSERT_TRUE(first.ok() && first->has_value() && second.ok() && second->has_value());
  EXPECT_EQ((*first)->row_count, 1u);
  EXPECT_EQ((*second)->source, dir + "/b.jsonl");
  EXPECT_EQ((*second)->first_row, 1u);
  EXPECT_EQ((*second)->bytes, "{\"y\":3}\n{\"z\":4}\n");
  std::ofstream(dir + "/c.jsonl") << "{\"y\":3}\nnope\n";
  EXPECT_THAT(CsvChunker::Open({dir + "/missing.jsonl"}, {}, 10, kDefaultChunkBytes,
                               RecordFormat::kJsonl)
                  .status()
                  .code(),
              Status::Code::kNotFound);
  std::filesystem::remove_all(dir);
}

TEST(JsonlRow, FieldsByColumnAndBodies) {
  std::vector<std::string> fields;
  std::string body;
  const std::vector<std::string> columns = {"website", "n", "meta", "missing"};
  ASSERT_TRUE(JsonlToFields("{\"website\":\"a\\u00e9\",\"n\":12,\"meta\":{\"k\":[1]}}\n", columns,
                            {}, &fields, &body)
                  .ok());
  EXPECT_THAT(fields, ElementsAre("a\xC3\xA9", "12", "{\"k\":[1]}", ""));
  EXPECT_EQ(body, "{\"website\":\"a\\u00e9\",\"n\":12,\"meta\":{\"k\":[1]}}");
  const std::vector<std::string> selected = {"n", "website", "missing"};
  ASSERT_TRUE(JsonlToFields("{\"website\":\"a\",\"n\":12}\r\n", columns, selected, &fields, &body)
                  .ok());
  EXPECT_EQ(body, "{\"n\":12,\"website\":\"a\"}");
  EXPECT_FALSE(JsonlToFields("[1]\n", columns, {}, &fields, &body).ok());
}

TEST(JsonlRow, LabelledLineKeepsTheInputBytes) {
  std::string out;
  ASSERT_TRUE(AppendJsonlLabelled("{ \"a\" : 1.50 }\r\n", "label", "spam", &out).ok());
  EXPECT_EQ(out, "{ \"a\" : 1.50 ,\"label\":\"spam\"}\n");
  out.clear();
  ASSERT_TRUE(AppendJsonlLabelled("{}\n", "label", "a\"b", &out).ok());
  EXPECT_EQ(out, "{\"label\":\"a\\\"b\"}\n");
  out.clear();
  ASSERT_TRUE(AppendJsonlLabelled("{\"label\":\"old\",\"x\":1}", "label", "new", &out).ok());
  EXPECT_EQ(out, "{\"label\":\"new\",\"x\":1}\n");
  out = "keep";
  EXPECT_FALSE(AppendJsonlLabelled("nope", "label", "x", &out).ok());
  EXPECT_EQ(out, "keep");
}

TEST(JsonlRow, CsvToJsonlAndBack) {
  const std::vector<std::string> columns = {"website", "content"};
  const std::string_view fields[] = {"a.com", "x,\"y\"\nz"};
  std::string out;
  AppendFieldsAsJsonl(columns, fields, "label", "ok", &out);
  EXPECT_EQ(out, "{\"website\":\"a.com\",\"content\":\"x,\\\"y\\\"\\nz\",\"label\":\"ok\"}\n");
  std::string csv;
  ASSERT_TRUE(AppendJsonlAsCsv(out, columns, "ok", &csv).ok());
  EXPECT_EQ(csv, "a.com,\"x,\"\"y\"\"\nz\",ok\n");
  RecordFields parsed;
  ASSERT_TRUE(ParseRecord(csv, &parsed).ok());
  EXPECT_EQ(parsed.size(), 3u);
  EXPECT_EQ(parsed[1], fields[1]);
}

}  // namespace
}  // namespace sieve
