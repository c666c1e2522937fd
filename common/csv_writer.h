// Writing CSV: appending columns (labels) to original records with RFC 4180 quoting.
//
// The original record bytes are copied unchanged, so the output reproduces the input row
// exactly (invariant 1), and its line terminator is kept ("\r\n" stays "\r\n").
//
// Quoting rule for appended values: a value is quoted when it contains a comma, a quote,
// CR or LF, or when it starts or ends with a space or tab; inner quotes are doubled. An
// empty value is written as nothing (",").
//
// Thread-safety: free functions without shared state.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace sieve {

struct CsvHeader;

// True when `value` must be quoted to survive as one CSV field (see the rule above).
bool CsvNeedsQuoting(std::string_view value);

// Appends `value` to *out as one CSV field, quoted and escaped if needed.
void AppendCsvField(std::string_view value, std::string* out);

// Appends to *out: `record` without its terminator, then ",value" for each value (quoted as
// needed), then the record's terminator ("\n", "\r\n", or nothing when it had none).
// `record` is one record as yielded by RecordIterator (its bytes are not re-validated).
void AppendColumns(std::string_view record, std::span<const std::string_view> values,
                   std::string* out);

// Appends the header line with one more column to *out: header.raw, ",name" (quoted as
// needed), then header.terminator. The UTF-8 BOM of the input, if any, is not written.
void AppendHeaderColumn(const CsvHeader& header, std::string_view name, std::string* out);

}  // namespace sieve
