#include "common/output_records.h"

#include <vector>

#include "common/jsonl_file_reader.h"
#include "common/jsonl_row.h"

namespace sieve {

OutputRecords::OutputRecords(std::string_view bytes, RecordFormat format)
    : format_(format), rest_(bytes), records_(format == RecordFormat::kCsv ? bytes : "") {}

Result<bool> OutputRecords::Next(std::string_view* record) {
  if (format_ == RecordFormat::kCsv) return records_.Next(record);
  if (rest_.empty()) return false;
  const size_t nl = rest_.find('\n');
  if (nl == std::string_view::npos) return Status::Corrupt("last JSON line without its line feed");
  *record = rest_.substr(0, nl + 1);
  rest_.remove_prefix(nl + 1);
  SIEVE_RETURN_IF_ERROR(CheckJsonObjectLine(record->substr(0, nl)));
  return true;
}

std::string FirstFieldOf(std::string_view record, RecordFormat format,
                         const std::string& first_column) {
  if (format == RecordFormat::kJsonl) {
    std::vector<std::string> fields;
    if (!JsonlToFields(record, std::span<const std::string>(&first_column, 1), {}, &fields,
                       nullptr)
             .ok()) {
      return std::string();
    }
    return fields.front();
  }
  RecordFields fields;
  if (!ParseRecord(record, &fields).ok() || fields.empty()) return std::string();
  return std::string(fields[0]);
}

}  // namespace sieve
