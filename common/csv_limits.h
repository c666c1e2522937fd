// CsvLimits: the bounds the CSV engine enforces on untrusted input.
//
// Every limit turns an oversized input into a Status::TooLarge naming the file and line,
// instead of unbounded memory use. The defaults suit real scraped-website CSVs (long text
// fields) while keeping one record far below the machine's memory.
//
// Thread-safety: a plain value.
#pragma once

#include <cstddef>

#include "common/status.h"

namespace sieve {

struct CsvLimits {
  static constexpr size_t kDefaultBlockBytes = size_t{1} << 20;       // 1 MiB
  static constexpr size_t kDefaultMaxFieldBytes = size_t{16} << 20;   // 16 MiB
  static constexpr size_t kDefaultMaxRecordBytes = size_t{64} << 20;  // 64 MiB
  static constexpr size_t kDefaultMaxColumns = 10000;
  static constexpr size_t kMinBlockBytes = 4;  // room for a UTF-8 BOM in the first block

  // Bytes read from a file at a time. Tests use tiny blocks to exercise records that
  // straddle blocks; production keeps the default.
  size_t block_bytes = kDefaultBlockBytes;
  // Largest raw field (including its quotes) accepted.
  size_t max_field_bytes = kDefaultMaxFieldBytes;
  // Largest raw record (including its line terminator) accepted.
  size_t max_record_bytes = kDefaultMaxRecordBytes;
  // Largest number of columns the header may have.
  size_t max_columns = kDefaultMaxColumns;

  // OK when every limit is usable: block_bytes >= kMinBlockBytes, the others > 0.
  // Fails with InvalidArgument naming the bad limit otherwise.
  Status Validate() const;
};

}  // namespace sieve
