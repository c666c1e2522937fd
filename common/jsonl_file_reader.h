// JsonlFileReader: the rows of one JSON Lines source, read block by block (used by CsvChunker
// when the input format is jsonl; docs/jsonl.md).
//
// DESIGN
// buf_ holds the line in progress followed by the not yet searched rest of the last block.
// Next() finds the next line feed with memchr from where the last search stopped, so every
// byte is searched once; only when buf_ holds no complete line does it drop the consumed
// prefix and read the next block. Memory: one block plus one straddling line.
// Each line (without "\n" or "\r\n") is checked to be one JSON object: its first non-blank
// byte must be '{' and the whole line must parse as JSON (RFC 8259, UTF-8 validated, nesting
// bounded by kMaxJsonDepth), without building it (nlohmann's SAX accept). Lines holding only
// blanks are skipped, as blank CSV lines are. A last line without terminator gets "\n"
// appended. A UTF-8 BOM at the start is skipped. A line longer than
// CsvLimits::max_record_bytes is TooLarge.
// Per line: one memchr over it and one validating parse, no allocation in steady state.
//
// Errors: "<name>:<line>: <reason>", line being the 1-based line of the file.
// Thread-safety: none.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/csv_chunker.h"
#include "common/csv_limits.h"
#include "common/record_reader.h"
#include "common/status.h"

namespace sieve {

// Deepest nesting of arrays and objects accepted in one line.
inline constexpr size_t kMaxJsonDepth = 512;

// OK when `line` (without terminator) is one JSON object; Corrupt with the reason otherwise
// ("not a JSON object: the line starts with '['", "invalid JSON at column 17: ...").
// Cost: O(line.size()), no allocation when the line is valid.
[[nodiscard]] Status CheckJsonObjectLine(std::string_view line);

class JsonlFileReader final : public RecordReader {
 public:
  // REQUIRES: limits.Validate().ok().
  JsonlFileReader(std::unique_ptr<CsvSource> source, const CsvLimits& limits);

  [[nodiscard]] Result<bool> Next(CsvRawRecord* record) override;
  const std::string& name() const override { return source_->name(); }

 private:
  Status ReadBlock();  // drops consumed bytes, appends the next block; sets eof_ at the end
  Status Error(Status::Code code, uint64_t line, const std::string& reason) const;

  std::unique_ptr<CsvSource> source_;
  const CsvLimits limits_;
  std::string buf_;
  bool started_ = false;    // the first block (and its BOM) has been read
  bool eof_ = false;        // the source has no more bytes
  size_t line_start_ = 0;   // offset in buf_ of the line in progress
  size_t searched_ = 0;     // offset in buf_ up to which no line feed was found
  uint64_t line_ = 0;       // lines returned or skipped so far
};

}  // namespace sieve
