// libFuzzer target for the JSON Lines reader (common/jsonl_file_reader.h, through CsvChunker)
// and the row conversions (common/jsonl_row.h).
//
// For any input bytes it checks, instead of merely not crashing:
//   1. Chunking succeeds or fails with Corrupt / TooLarge, never anything else; when it fails
//      with Corrupt, some line really is not a JSON object (nlohmann's parser agrees), is nested
//      deeper than kMaxJsonDepth, or there is no object or the first one has no keys.
//   2. On success the chunks are well-formed (sequential index and first_row, 1..N rows,
//      bounded bytes) and their concatenated bytes are exactly the input's non-blank lines
//      (minus a BOM, "\n" added to a last line without one): no row lost, added or reordered.
//   3. Every row parses as an object; AppendJsonlLabelled gives that object with the label key
//      set (and nothing else changed); AppendJsonlAsCsv gives one CSV record of columns + 1
//      fields.
// Block size, rows per chunk and limits are derived from the input, so lines straddle blocks.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/csv_chunker.h"
#include "common/csv_record.h"
#include "common/jsonl_file_reader.h"
#include "common/jsonl_row.h"

namespace sieve {
namespace {

using Json = nlohmann::ordered_json;

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

bool Blank(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

// The input's non-blank lines, each ending with "\n".
std::vector<std::string> Lines(std::string_view input) {
  if (input.starts_with("\xEF\xBB\xBF")) input.remove_prefix(3);
  std::vector<std::string> lines;
  while (!input.empty()) {
    size_t nl = input.find('\n');
    std::string_view line = input.substr(0, nl);
    input.remove_prefix(nl == std::string_view::npos ? input.size() : nl + 1);
    if (!Blank(line)) lines.push_back(std::string(line) + "\n");
  }
  return lines;
}

Json ParseObject(std::string_view line, bool* ok) {
  Json j = Json::parse(line.begin(), line.end(), nullptr, false);
  // The reader wants '{' first (after blanks); nlohmann also skips a byte order mark, which
  // the reader takes only at the start of the file.
  const size_t first = line.find_first_not_of(" \t\r\n");
  *ok = j.is_object() && first != std::string_view::npos && line[first] == '{';
  return j;
}

bool Explains(const std::vector<std::string>& lines, std::string_view input) {
  if (lines.empty()) return true;  // no object at all
  size_t opens = 0;
  for (char c : input) opens += c == '[' || c == '{';
  if (opens > kMaxJsonDepth) return true;
  for (size_t i = 0; i < lines.size(); ++i) {
    bool ok = false;
    Json j = ParseObject(lines[i], &ok);
    if (!ok || (i == 0 && j.empty()) || lines[i].find('\0') != std::string::npos) return true;
  }
  return false;
}

void CheckRow(std::string_view line, const CsvHeader& header, std::string_view label) {
  bool ok = false;
  Json want = ParseObject(line, &ok);
  Check(ok);
  std::string out;
  Check(AppendJsonlLabelled(line, "label", label, &out).ok());
  Check(out.ends_with('\n') && out.find('\n') == out.size() - 1);
  want["label"] = std::string(label);
  Json got = ParseObject(out, &ok);
  Check(ok);
  // Compare as text after a canonical dump: invalid UTF-8 in a label is replaced on both sides.
  Check(got.dump(-1, ' ', false, Json::error_handler_t::replace) ==
        want.dump(-1, ' ', false, Json::error_handler_t::replace));
  std::string csv;
  Check(AppendJsonlAsCsv(line, header.columns, label, &csv).ok());
  RecordFields fields;
  Check(ParseRecord(csv, &fields).ok());
  Check(fields.size() == header.columns.size() + 1);
}

void FuzzJsonl(std::string_view input) {
  const uint64_t h = Hash(input);
  CsvLimits limits;
  limits.block_bytes = CsvLimits::kMinBlockBytes + h % 97;
  if ((h >> 20) % 4 == 0) limits.max_record_bytes = 1 + (h >> 24) % 128;
  const uint32_t rows = 1 + static_cast<uint32_t>((h >> 40) % 5);
  const uint64_t max_bytes = (h >> 44) % 2 == 0 ? kDefaultChunkBytes : 1 + (h >> 46) % 64;
  const std::vector<std::string> lines = Lines(input);

  auto chunker = CsvChunker::OpenString("fuzz.jsonl", std::string(input), limits, rows,
                                        max_bytes, RecordFormat::kJsonl);
  Status status = chunker.status();
  std::string body;
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
  }
  if (!status.ok()) {
    Check(status.code() == Status::Code::kCorrupt || status.code() == Status::Code::kTooLarge);
    if (status.code() == Status::Code::kCorrupt) Check(Explains(lines, input));
    return;
  }
  std::string want;
  for (const std::string& line : lines) want += line;
  Check(body == want);
  Check(next_row == lines.size());
  for (const std::string& line : lines) {
    CheckRow(line, (*chunker)->header(), input.substr(0, h % 8));
  }
}

}  // namespace
}  // namespace sieve

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sieve::FuzzJsonl(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
