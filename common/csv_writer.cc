#include "common/csv_writer.h"

#include <cstring>

#include "common/csv_chunker.h"

namespace sieve {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// Length of the line terminator ending `record`: 2 for CRLF, 1 for LF, 0 for none.
size_t TerminatorLength(std::string_view record) {
  if (record.ends_with("\r\n")) return 2;
  if (record.ends_with('\n')) return 1;
  return 0;
}

}  // namespace

bool CsvNeedsQuoting(std::string_view value) {
  if (value.empty()) return false;
  if (IsBlank(value.front()) || IsBlank(value.back())) return true;
  return value.find_first_of(",\"\r\n") != std::string_view::npos;
}

void AppendCsvField(std::string_view value, std::string* out) {
  if (!CsvNeedsQuoting(value)) {
    out->append(value);
    return;
  }
  out->push_back('"');
  for (const char* q; (q = static_cast<const char*>(
                           std::memchr(value.data(), '"', value.size()))) != nullptr;) {
    const size_t keep = static_cast<size_t>(q - value.data()) + 1;
    out->append(value.data(), keep);
    out->push_back('"');
    value.remove_prefix(keep);
  }
  out->append(value);
  out->push_back('"');
}

void AppendColumns(std::string_view record, std::span<const std::string_view> values,
                   std::string* out) {
  const size_t terminator = TerminatorLength(record);
  out->append(record.substr(0, record.size() - terminator));
  for (std::string_view value : values) {
    out->push_back(',');
    AppendCsvField(value, out);
  }
  out->append(record.substr(record.size() - terminator));
}

void AppendHeaderColumn(const CsvHeader& header, std::string_view name, std::string* out) {
  out->append(header.raw);
  out->push_back(',');
  AppendCsvField(name, out);
  out->append(header.terminator);
}

}  // namespace sieve
