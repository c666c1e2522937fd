// CsvFileReader: the records of one CSV source, read block by block (used by CsvChunker).
//
// DESIGN
// buf_ holds the record in progress followed by the not yet scanned rest of the last block.
// Next() classifies buf_ one 64-byte window at a time with CsvScanner and walks the
// structural commas and line feeds of the window: at each separator it checks the field
// size, at each line feed it ends a record (field count, record size, blank-line skip) and
// returns a view of it. Only when buf_ is fully scanned does it drop the consumed prefix
// and read the next block, so memory is one block plus one straddling record. At the end
// of the source a last record without terminator gets a "\n" appended (a final CR makes it
// CRLF); ending inside quotes is an error. A UTF-8 BOM at the start is skipped.
//
// Errors: "<name>:<line>: <reason>", line being the 1-based physical line.
// Thread-safety: none.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/csv_chunker.h"
#include "common/csv_limits.h"
#include "common/csv_scanner.h"
#include "common/record_reader.h"
#include "common/status.h"

namespace sieve {

class CsvFileReader final : public RecordReader {
 public:
  // REQUIRES: limits.Validate().ok().
  CsvFileReader(std::unique_ptr<CsvSource> source, const CsvLimits& limits);

  // Sets *record to the next non-blank record and returns true, or returns false at the
  // end. Fails with Corrupt, TooLarge or IoError; do not call again after a failure.
  [[nodiscard]] Result<bool> Next(CsvRawRecord* record) override;

  const std::string& name() const override { return source_->name(); }

 private:
  // Reads the next block into buf_ (dropping consumed bytes first); sets eof_ at the end.
  Status ReadBlock();
  // Classifies the next window of buf_ and checks it for quoting errors.
  Status ScanWindow();
  // Finishes the current window: line count, size limits of the unfinished record.
  Status FinishWindow();
  // Handles the separator at window offset `bit`; returns true when it ends a record that
  // was stored in *record.
  Result<bool> OnSeparator(size_t bit, CsvRawRecord* record);
  Status EndOfInput();
  Status Error(Status::Code code, uint64_t line, const std::string& reason) const;
  uint64_t LineAt(size_t bit) const;  // physical line of window byte `bit`

  std::unique_ptr<CsvSource> source_;
  const CsvLimits limits_;
  CsvScanner scanner_;
  std::string buf_;
  bool started_ = false;           // the first block (and its BOM) has been read
  bool eof_ = false;               // the source has no more bytes
  size_t window_pos_ = 0;          // offset of the current window in buf_
  size_t window_len_ = 0;          // 0 when no window is current
  CsvWindow window_{};
  uint64_t pending_separators_ = 0;
  uint64_t lines_before_window_ = 0;  // line feeds before the current window
  size_t open_quote_pos_ = 0;         // offset in buf_ of the latest opening quote
  size_t record_start_ = 0;           // offset of the record in progress in buf_
  uint64_t record_line_ = 1;
  size_t field_start_ = 0;
  size_t commas_ = 0;                 // structural commas in the record in progress
};

}  // namespace sieve
