// RecordReader: the rows of one input file, one at a time, in the file's own format. CsvChunker
// cuts what a reader yields into chunks whatever the format (CsvFileReader for CSV,
// JsonlFileReader for JSON Lines).
//
// Thread-safety: none; one reader per thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace sieve {

struct CsvRawRecord {
  std::string_view bytes;  // the record with its terminator; valid until the next Next()
  uint64_t line = 0;       // 1-based physical line where the record starts
  size_t field_count = 0;  // CSV: fields of the record; JSON Lines: 0 (not counted)
};

class RecordReader {
 public:
  virtual ~RecordReader() = default;
  // Sets *record to the next row and returns true, or returns false at the end. Fails with
  // Corrupt, TooLarge or IoError ("<name>:<line>: <reason>"); do not call again after a failure.
  [[nodiscard]] virtual Result<bool> Next(CsvRawRecord* record) = 0;
  // The source's name, for error messages.
  virtual const std::string& name() const = 0;
};

}  // namespace sieve
