// StoredResult: one chunk's result as the collector keeps it on disk until it is merged.
//
// File format (one file per chunk, written atomically with WriteFileAtomic):
//   8 bytes   little-endian length N of the metadata
//   N bytes   metadata, a JSON object: rows, error_rows, retries, attempt, first_row,
//             errors: [[row, reason], ...], and (absent in older files: 0) prompt_tokens,
//             completion_tokens, answers_invalid, rows_invalid, cached_rows
//   rest      the labelled CSV records, byte for byte as the worker sent them
// Decoding checks the length and the JSON and refuses anything else with Corrupt (a torn or
// foreign file is never merged).
//
// Thread-safety: values and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace sieve {

struct StoredRowError {
  uint64_t row = 0;  // 0-based data row number in the logical input
  std::string reason;
  bool operator==(const StoredRowError&) const = default;
};

struct StoredResult {
  uint64_t first_row = 0;
  uint64_t rows = 0;
  uint64_t error_rows = 0;
  uint64_t retries = 0;
  uint32_t attempt = 0;
  uint64_t prompt_tokens = 0;      // LLM endpoints (docs/llm.md)
  uint64_t completion_tokens = 0;
  uint64_t answers_invalid = 0;
  uint64_t rows_invalid = 0;
  uint64_t cached_rows = 0;        // rows answered from the result cache
  std::vector<StoredRowError> errors;
  std::string labelled;
  bool operator==(const StoredResult&) const = default;
};

std::string EncodeStoredResult(const StoredResult& result);
Result<StoredResult> DecodeStoredResult(std::string_view bytes);

}  // namespace sieve
