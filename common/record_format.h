// RecordFormat: the two shapes of input and output Sieve reads and writes.
//
//   csv    RFC 4180 with one header (docs/csv.md): a row is a record, its fields are columns.
//   jsonl  JSON Lines (docs/jsonl.md): a row is one line holding one JSON object; its columns
//          are the keys of the input's first object.
//
// The format of a file is given (--input-format, --output-format) or follows its name:
// ".jsonl" and ".ndjson" are JSON Lines, anything else is CSV.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace sieve {

enum class RecordFormat { kCsv, kJsonl };

// "csv" or "jsonl" (the spelling of the flags and of JobSpec::input_format/output_format).
std::string_view FormatName(RecordFormat format);

// Parses a format name: "csv", "jsonl" (or its synonym "ndjson"); an empty name is csv (a job
// spec from before formats existed). InvalidArgument naming `flag` otherwise.
[[nodiscard]] Result<RecordFormat> ParseRecordFormat(std::string_view name,
                                                     std::string_view flag = "--input-format");

// The format a file's name implies: kJsonl for *.jsonl and *.ndjson (any letter case), else kCsv.
RecordFormat FormatFromPath(std::string_view path);

}  // namespace sieve
