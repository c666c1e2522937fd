// libFuzzer target for the CSV engine: chunker, record iterator, parser and writer.
//
// For any input bytes it checks, instead of merely not crashing:
//   1. Chunking succeeds or fails with Corrupt / TooLarge, never anything else.
//   2. On success the chunks are well-formed (sequential index and first_row, 1..N rows,
//      every record terminated), and their concatenated bytes equal the input's records
//      after the header, as RecordIterator finds them in the raw input (minus BOM and blank
//      lines, with "\n" added to a last record that lacks one).
//   3. Every record parses to as many fields as the header has columns, and
//      ParseRecord(AppendColumns(record, values)) == fields + values.
//   4. AppendCsvField of any value parses back to that value.
// The block size, rows per chunk and limits are derived from the input, so the fuzzer also
// explores records straddling blocks and every limit error.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "common/csv_chunker.h"
#include "common/csv_record.h"
#include "common/csv_writer.h"

namespace sieve {
namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

uint64_t Hash(std::string_view data) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < data.size() && i < 32; ++i) {
    h = (h ^ static_cast<unsigned char>(data[i])) * 1099511628211ull;
  }
  return h ^ data.size();
}

std::vector<std::string> ParseOrDie(std::string_view record, RecordFields* fields) {
  Check(ParseRecord(record, fields).ok());
  return std::vector<std::string>(fields->begin(), fields->end());
}

// Invariant 2's expectation: the data records of `input` as RecordIterator sees them, or
// false when the iterator rejects the input (the chunker must then have rejected it too).
bool ExpectedBody(std::string_view input, std::string* body) {
  if (input.starts_with("\xEF\xBB\xBF")) input.remove_prefix(3);
  RecordIterator records(input);
  std::string_view record;
  bool header_seen = false;
  while (true) {
    Result<bool> more = records.Next(&record);
    if (!more.ok()) return false;
    if (!*more) return true;
    std::string terminated(record);
    if (!record.ends_with('\n')) terminated.push_back('\n');
    if (terminated == "\n" || terminated == "\r\n") continue;
    if (!header_seen) {
      header_seen = true;
      continue;
    }
    body->append(terminated);
  }
}

void CheckRecords(const CsvChunk& chunk, const CsvHeader& header, std::string_view extra) {
  RecordIterator records(chunk.bytes);
  RecordFields fields, appended;
  std::string_view record;
  uint32_t count = 0;
  const std::string_view values[] = {extra, "a,\"b\"\r\n "};
  while (true) {
    Result<bool> more = records.Next(&record);
    Check(more.ok());
    if (!*more) break;
    ++count;
    Check(record.ends_with('\n'));
    std::vector<std::string> want = ParseOrDie(record, &fields);
    Check(want.size() == header.columns.size());
    std::string out;
    AppendColumns(record, values, &out);
    want.emplace_back(values[0]);
    want.emplace_back(values[1]);
    Check(ParseOrDie(out, &appended) == want);
  }
  Check(count == chunk.row_count);
}

void FuzzChunker(std::string_view input) {
  const uint64_t h = Hash(input);
  CsvLimits limits;
  limits.block_bytes = CsvLimits::kMinBlockBytes + h % 97;
  if ((h >> 8) % 4 == 0) limits.max_field_bytes = 1 + (h >> 12) % 64;
  if ((h >> 20) % 4 == 0) limits.max_record_bytes = 1 + (h >> 24) % 128;
  if ((h >> 32) % 4 == 0) limits.max_columns = 1 + (h >> 36) % 8;
  const uint32_t rows = 1 + static_cast<uint32_t>((h >> 40) % 5);
  // Half the inputs also get a small byte bound (--chunk-bytes), so chunks end on bytes too.
  const uint64_t max_bytes = (h >> 44) % 2 == 0 ? kDefaultChunkBytes : 1 + (h >> 46) % 64;

  auto chunker = CsvChunker::OpenString("fuzz.csv", std::string(input), limits, rows, max_bytes);
  std::string body;
  Status status = chunker.status();
  uint64_t next_index = 0, next_row = 0;
  while (status.ok()) {
    Result<std::optional<CsvChunk>> chunk = (*chunker)->Next();
    status = chunk.status();
    if (!chunk.ok() || !chunk->has_value()) break;
    const CsvChunk& c = **chunk;
    Check(c.index == next_index++ && c.first_row == next_row);
    Check(c.row_count >= 1 && c.row_count <= rows && c.first_line >= 1);
    Check(c.bytes.size() <= max_bytes || c.row_count == 1);
    next_row += c.row_count;
    body += c.bytes;
    CheckRecords(c, (*chunker)->header(), input.substr(0, h % 16));
  }
  if (!status.ok()) {
    Check(status.code() == Status::Code::kCorrupt || status.code() == Status::Code::kTooLarge);
    return;
  }
  std::string expected;
  Check(ExpectedBody(input, &expected));
  Check(body == expected);
  std::string header_line;
  RecordFields fields;
  AppendHeaderColumn((*chunker)->header(), "label", &header_line);
  std::vector<std::string> want = (*chunker)->header().columns;
  want.emplace_back("label");
  Check(ParseOrDie(header_line, &fields) == want);
}

void FuzzWriter(std::string_view input) {
  std::string field;
  AppendCsvField(input, &field);
  RecordFields fields;
  Check(ParseOrDie(field, &fields) == std::vector<std::string>{std::string(input)});
}

}  // namespace
}  // namespace sieve

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  sieve::FuzzChunker(input);
  sieve::FuzzWriter(input);
  sieve::RecordFields fields;
  (void)sieve::ParseRecord(input, &fields);  // must not crash on any bytes
  return 0;
}
