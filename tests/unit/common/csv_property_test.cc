// Differential test: the SIMD chunker and parser against a byte-at-a-time reference parser
// of the same strict RFC 4180 rules, on random inputs, at several block and chunk sizes.
#include <gtest/gtest.h>

#include <optional>
#include <random>
#include <string>
#include <vector>

#include "common/csv_chunker.h"
#include "common/csv_record.h"

namespace sieve {
namespace {

struct RefRecord {
  std::string raw;  // with terminator ("\n" appended when missing)
  std::vector<std::string> fields;
};

// The reference: returns nullopt when the input breaks a quoting rule.
std::optional<std::vector<RefRecord>> ReferenceParse(const std::string& in) {
  enum class S { kFieldStart, kUnquoted, kQuoted, kQuoteInQuoted, kAfterCr } s = S::kFieldStart;
  std::vector<RefRecord> records;
  RefRecord cur;
  std::string field;
  auto end_field = [&] { cur.fields.push_back(field); field.clear(); };
  auto end_record = [&] {
    end_field();
    if (cur.raw != "\n" && cur.raw != "\r\n") records.push_back(cur);  // blank lines skipped
    cur = RefRecord();
    s = S::kFieldStart;
  };
  for (char c : in) {
    cur.raw.push_back(c);
    switch (s) {
      case S::kFieldStart:
      case S::kUnquoted:
        if (c == '"' && s == S::kUnquoted) return std::nullopt;
        if (c == '"') s = S::kQuoted;
        else if (c == ',') { end_field(); s = S::kFieldStart; }
        else if (c == '\n') end_record();
        else if (c == '\r') s = S::kAfterCr;
        else { field.push_back(c); s = S::kUnquoted; }
        break;
      case S::kQuoted:
        if (c == '"') s = S::kQuoteInQuoted;
        else field.push_back(c);
        break;
      case S::kQuoteInQuoted:
        if (c == '"') { field.push_back('"'); s = S::kQuoted; }
        else if (c == ',') { end_field(); s = S::kFieldStart; }
        else if (c == '\n') end_record();
        else if (c == '\r') s = S::kAfterCr;
        else return std::nullopt;
        break;
      case S::kAfterCr:
        if (c != '\n') return std::nullopt;
        end_record();
        break;
    }
  }
  if (s == S::kQuoted) return std::nullopt;
  if (!cur.raw.empty()) {
    cur.raw.push_back('\n');
    end_record();
  }
  return records;
}

std::string RandomBytes(std::mt19937& rng) {
  static constexpr char kAlphabet[] = "aab,,\"\"\n\r ";
  std::string s(rng() % 120, 'a');
  for (char& c : s) c = kAlphabet[rng() % (sizeof(kAlphabet) - 1)];
  return s;
}

std::string RandomField(std::mt19937& rng) {
  static constexpr char kAlphabet[] = "ab ,\"\n\r";
  std::string value(rng() % 12, 'a');
  for (char& c : value) c = kAlphabet[rng() % (sizeof(kAlphabet) - 1)];
  const bool must_quote = value.find_first_of(",\"\n\r") != std::string::npos;
  if (!must_quote && rng() % 3 != 0) return value;
  std::string quoted = "\"";
  for (char c : value) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

// Mostly well-formed CSV: a fixed column count, random quoting and terminators.
std::string RandomCsv(std::mt19937& rng) {
  const int columns = 1 + rng() % 4;
  std::string s;
  for (int r = 0, rows = rng() % 12; r <= rows; ++r) {
    for (int c = 0; c < columns; ++c) s += (c ? "," : "") + RandomField(rng);
    if (r < rows || rng() % 2) s += rng() % 2 ? "\r\n" : "\n";
    if (rng() % 10 == 0) s += "\n";
  }
  return s;
}

// Chunks `in`, parses every record, and compares with the reference.
void CheckAgainstReference(const std::string& in, size_t block, uint32_t rows) {
  SCOPED_TRACE(::testing::PrintToString(in) + " block " + std::to_string(block));
  const std::optional<std::vector<RefRecord>> ref = ReferenceParse(in);
  bool ref_ok = ref.has_value() && !ref->empty();
  for (size_t i = 1; ref_ok && i < ref->size(); ++i) {
    ref_ok = (*ref)[i].fields.size() == (*ref)[0].fields.size();
  }
  CsvLimits limits;
  limits.block_bytes = block;
  Result<std::unique_ptr<CsvChunker>> chunker = CsvChunker::OpenString("p.csv", in, limits, rows);
  std::vector<std::vector<std::string>> got;
  std::string bytes;
  Status status = chunker.status();
  RecordFields fields;
  while (status.ok()) {
    Result<std::optional<CsvChunk>> chunk = (*chunker)->Next();
    if (!chunk.ok()) status = chunk.status();
    if (!chunk.ok() || !chunk->has_value()) break;
    bytes += (*chunk)->bytes;
    RecordIterator it((*chunk)->bytes);
    std::string_view record;
    for (;;) {
      const Result<bool> more = it.Next(&record);
      ASSERT_TRUE(more.ok()) << more.status().ToString();
      if (!*more) break;
      ASSERT_TRUE(ParseRecord(record, &fields).ok());
      got.emplace_back(fields.begin(), fields.end());
    }
  }
  ASSERT_EQ(status.ok(), ref_ok) << status.ToString();
  if (!ref_ok) return;
  std::string want_bytes;
  ASSERT_EQ(got.size() + 1, ref->size());
  for (size_t i = 1; i < ref->size(); ++i) {
    EXPECT_EQ(got[i - 1], (*ref)[i].fields);
    want_bytes += (*ref)[i].raw;
  }
  EXPECT_EQ(bytes, want_bytes);
  EXPECT_EQ((*chunker)->header().columns, (*ref)[0].fields);
}

TEST(CsvPropertyTest, MatchesReferenceOnRandomBytes) {
  std::mt19937 rng(20240601);
  for (int i = 0; i < 3000; ++i) {
    const std::string in = RandomBytes(rng);
    CheckAgainstReference(in, 4 + rng() % 80, 1 + rng() % 4);
    if (HasFatalFailure()) return;
  }
}

TEST(CsvPropertyTest, MatchesReferenceOnRandomCsv) {
  std::mt19937 rng(7);
  for (int i = 0; i < 3000; ++i) {
    const std::string in = RandomCsv(rng);
    CheckAgainstReference(in, 4 + rng() % 200, 1 + rng() % 5);
    if (HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace sieve
