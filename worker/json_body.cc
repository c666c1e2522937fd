#include "worker/json_body.h"

namespace sieve {

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
