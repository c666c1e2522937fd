// OutputRecords: the records of labelled output bytes (a RESULT's rows, an output file), CSV or
// JSON Lines, for the collector's checks and its errors report.
//
// CSV records are RecordIterator's; JSON Lines records are lines ending with "\n", each one JSON
// object (CheckJsonObjectLine). Corrupt at the first record that is neither.
//
// Ownership: `bytes` must outlive the iterator and the records it yields.
// Thread-safety: none; one iterator per thread.
#pragma once

#include <string>
#include <string_view>

#include "common/csv_record.h"
#include "common/record_format.h"
#include "common/status.h"

namespace sieve {

class OutputRecords {
 public:
  OutputRecords(std::string_view bytes, RecordFormat format);

  // Sets *record to the next record (with its terminator) and returns true, or returns false
  // at the end. Corrupt with the reason when the bytes are malformed.
  [[nodiscard]] Result<bool> Next(std::string_view* record);

 private:
  RecordFormat format_;
  std::string_view rest_;    // JSON Lines: bytes not yet returned
  RecordIterator records_;   // CSV
};

// The first field of an output record: its first CSV field, or for JSON Lines the field of
// `first_column` (jsonl_row.h). Empty when the record does not parse.
std::string FirstFieldOf(std::string_view record, RecordFormat format,
                         const std::string& first_column);

}  // namespace sieve
