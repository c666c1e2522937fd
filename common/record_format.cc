#include "common/record_format.h"

#include <algorithm>
#include <cctype>

namespace sieve {
namespace {

bool EndsWithNoCase(std::string_view text, std::string_view suffix) {
  if (text.size() < suffix.size()) return false;
  return std::equal(suffix.begin(), suffix.end(), text.end() - static_cast<ptrdiff_t>(suffix.size()),
                    [](char a, char b) {
                      return std::tolower(static_cast<unsigned char>(a)) ==
                             std::tolower(static_cast<unsigned char>(b));
                    });
}

}  // namespace

std::string_view FormatName(RecordFormat format) {
  return format == RecordFormat::kJsonl ? "jsonl" : "csv";
}

Result<RecordFormat> ParseRecordFormat(std::string_view name, std::string_view flag) {
  if (name.empty() || name == "csv") return RecordFormat::kCsv;
  if (name == "jsonl" || name == "ndjson") return RecordFormat::kJsonl;
  return Status::InvalidArgument(std::string(flag) + " must be csv or jsonl, not '" +
                                 std::string(name) + "'");
}

RecordFormat FormatFromPath(std::string_view path) {
  return EndsWithNoCase(path, ".jsonl") || EndsWithNoCase(path, ".ndjson") ? RecordFormat::kJsonl
                                                                            : RecordFormat::kCsv;
}

}  // namespace sieve
