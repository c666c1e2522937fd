#include "worker/json_body.h"

#include <array>
#include <cstdint>

#include "common/utf8.h"

namespace sieve {
namespace {

// Bytes 0x00-0x1f, '"' and '\\' need escaping; every other byte is copied as it is.
constexpr std::array<bool, 256> MakeEscapeTable() {
  std::array<bool, 256> escape{};
  for (int b = 0; b < 256; ++b) escape[b] = b < 0x20 || b == '"' || b == '\\';
  return escape;
}
constexpr std::array<bool, 256> kNeedsEscape = MakeEscapeTable();

void AppendEscape(unsigned char c, std::string* out) {
  switch (c) {
    case '"': out->append("\\\""); return;
    case '\\': out->append("\\\\"); return;
    case '\n': out->append("\\n"); return;
    case '\r': out->append("\\r"); return;
    case '\t': out->append("\\t"); return;
    case '\b': out->append("\\b"); return;
    case '\f': out->append("\\f"); return;
    default: {
      static constexpr char kHex[] = "0123456789abcdef";
      const char escaped[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xf]};
      out->append(escaped, sizeof(escaped));
    }
  }
}

}  // namespace

bool AppendJsonString(std::string_view text, std::string* out, size_t* bad_offset) {
  if (!IsValidUtf8(text, bad_offset)) return false;
  out->push_back('"');
  size_t run_start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (!kNeedsEscape[c]) continue;
    out->append(text.data() + run_start, i - run_start);
    AppendEscape(c, out);
    run_start = i + 1;
  }
  out->append(text.data() + run_start, text.size() - run_start);
  out->push_back('"');
  return true;
}

Result<RowEncoder> RowEncoder::Create(const std::vector<std::string>& header,
                                      const std::vector<std::string>& fields) {
  std::vector<size_t> indexes;
  if (fields.empty()) {
    for (size_t i = 0; i < header.size(); ++i) indexes.push_back(i);
  } else {
    for (const std::string& field : fields) {
      size_t i = 0;
      while (i < header.size() && header[i] != field) ++i;
      if (i == header.size()) {
        return Status::InvalidArgument("--fields names column '" + field +
                                       "', which is not in the CSV header");
      }
      indexes.push_back(i);
    }
  }
  std::vector<Column> columns;
  for (size_t index : indexes) {
    Column column{index, columns.empty() ? "{" : ",", header[index]};
    size_t bad = 0;
    if (!AppendJsonString(header[index], &column.prefix, &bad)) {
      return Status::InvalidArgument("column name #" + std::to_string(index + 1) +
                                     " is not valid UTF-8 (byte " + std::to_string(bad) + ")");
    }
    column.prefix.push_back(':');
    columns.push_back(std::move(column));
  }
  return RowEncoder(std::move(columns));
}

Status RowEncoder::AppendObject(std::span<const std::string> row, std::string* out) const {
  const size_t start = out->size();
  for (const Column& column : columns_) {
    if (column.index >= row.size()) {
      out->resize(start);
      return Status::InvalidArgument("row has " + std::to_string(row.size()) +
                                     " fields, no column '" + column.name + "'");
    }
    out->append(column.prefix);
    size_t bad = 0;
    if (!AppendJsonString(row[column.index], out, &bad)) {
      out->resize(start);
      return Status::InvalidArgument("invalid UTF-8 in column '" + column.name + "' at byte " +
                                     std::to_string(bad));
    }
  }
  out->append(columns_.empty() ? "{}" : "}");
  return Status::Ok();
}

}  // namespace sieve
