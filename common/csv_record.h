// One CSV record (RFC 4180): splitting chunk bytes into records, and records into fields.
//
// A record is the raw bytes of one CSV row including its line terminator ("\n" or "\r\n"),
// exactly as CsvChunker puts it into CsvChunk::bytes. Quoted fields may hold commas, doubled
// quotes, CR and LF. The rules are strict (the same ones CsvChunker enforces on files):
//   - a quote may only open a field (`ab"c` is an error);
//   - a closing quote must be followed by a comma, the terminator, or another quote (`"a"b`
//     is an error);
//   - a CR outside quotes must be followed by LF (bare CR line endings are rejected);
//   - the bytes must not end inside a quoted field.
// Errors are Status::Corrupt with a reason but without a file name: the caller knows where
// the bytes came from (CsvChunk::source and first_line) and prefixes "file:line: ".
//
// Typical worker loop (no allocation per row once `fields` has grown):
//
//   RecordIterator records(chunk.bytes);
//   RecordFields fields;
//   std::string_view record;
//   while (true) {
//     Result<bool> more = records.Next(&record);
//     if (!more.ok()) return more.status();
//     if (!*more) break;
//     SIEVE_RETURN_IF_ERROR(ParseRecord(record, &fields));
//     ... fields[0], fields[1] ...; the row's physical line is
//         chunk.first_line + records.record_line_offset()
//   }
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/csv_scanner.h"
#include "common/status.h"

namespace sieve {

// The fields of one parsed record. Reused across ParseRecord calls so that steady-state
// parsing does not allocate.
//
// Ownership: each field is a view either into the record passed to ParseRecord (when the
// field needs no unquoting) or into this object's own buffer (when it held doubled quotes).
// Views are valid until the next ParseRecord into this object, or until the record's bytes
// are freed, whichever comes first.
// Thread-safety: none; one object per thread.
class RecordFields {
 public:
  RecordFields() = default;
  RecordFields(const RecordFields&) = delete;  // views may point into unescaped_
  RecordFields& operator=(const RecordFields&) = delete;

  size_t size() const { return fields_.size(); }
  bool empty() const { return fields_.empty(); }
  // REQUIRES: i < size().
  std::string_view operator[](size_t i) const { return fields_[i]; }
  std::span<const std::string_view> fields() const { return fields_; }
  auto begin() const { return fields_.begin(); }
  auto end() const { return fields_.end(); }

 private:
  friend Status ParseRecord(std::string_view record, RecordFields* out);

  std::vector<std::string_view> fields_;
  std::string unescaped_;  // storage for fields that held doubled quotes
};

// Splits one record into its unquoted fields, replacing the contents of *out.
// `record` may end with "\n", "\r\n" or no terminator; the terminator is not part of the
// last field. An empty record or a lone terminator yields one empty field.
// Fails with Corrupt when the bytes break the rules above or hold more than one record
// (a line feed outside quotes before the end). On failure *out is unspecified.
// Cost: O(record.size()); allocates only when *out needs more capacity than before.
[[nodiscard]] Status ParseRecord(std::string_view record, RecordFields* out);

// Iterates the records in a buffer of concatenated records (a chunk's bytes), yielding
// views into that buffer. Each record includes its terminator; a final record without a
// terminator is yielded as it is. Blank lines are yielded too (ParseRecord gives them one
// empty field); CsvChunker never puts blank lines in a chunk.
//
// Ownership: `bytes` must outlive the iterator and the records it yields.
// Thread-safety: none; one iterator per thread.
class RecordIterator {
 public:
  explicit RecordIterator(std::string_view bytes);

  // On success returns true and sets *record to the next record, or returns false at the
  // end. Fails with Corrupt (reason and line offset) when the bytes break the rules above
  // or end inside a quoted field, after yielding the records before the offending byte;
  // after a failure every call fails.
  // Cost: amortized O(record size), no allocation.
  [[nodiscard]] Result<bool> Next(std::string_view* record);

  // Physical line of the last record returned, counted from 0 at the start of `bytes`
  // (line feeds inside quoted fields count). Add CsvChunk::first_line for the file line.
  uint64_t record_line_offset() const { return record_line_; }

 private:
  bool ScanNextWindow();

  std::string_view bytes_;
  CsvScanner scanner_;
  size_t window_pos_ = 0;       // offset of the current window in bytes_
  size_t window_len_ = 0;       // bytes in the current window
  CsvWindow window_{};          // masks of the current window
  uint64_t pending_ends_ = 0;   // record ends in the current window not yet returned
  uint64_t lines_before_window_ = 0;
  size_t record_start_ = 0;     // where the next record begins
  uint64_t next_record_line_ = 0;
  uint64_t record_line_ = 0;
  Status deferred_error_;  // an error in the current window, after pending_ends_
  Status error_;           // sticky: returned by every call once set
};

}  // namespace sieve
